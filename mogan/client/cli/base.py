"""What every command shares: the client, error handling, table rows."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cliff import command, lister, show
from osc_lib import exceptions as osc_exceptions

from mogan.client.api import Client, MoganAPIError, WaitFailed


def client_of(cmd: command.Command) -> Client:
    """The SDK client: the same attribute in the standalone shell and under OpenStackClient."""
    manager: Any = getattr(cmd.app, "client_manager")  # noqa: B009 - set by either shell
    client: Client = manager.baremetal_compute
    return client


@contextlib.contextmanager
def failing() -> Iterator[None]:
    """API refusals and failed waits become a one-line error and exit status 1."""
    try:
        yield
    except MoganAPIError as exc:
        raise osc_exceptions.CommandError(str(exc)) from None
    except WaitFailed as exc:
        raise osc_exceptions.CommandError(str(exc)) from None


class Command(command.Command):
    """A command printing nothing on success."""


class ShowCommand(show.ShowOne):
    """A command printing one resource as field/value pairs."""


class ListCommand(lister.Lister):
    """A command printing a table; ``columns`` names the fields shown."""

    columns: tuple[str, ...] = ("uuid", "name")

    def rows(self, items: Iterable[Mapping[str, Any]]) -> tuple[tuple[str, ...], list[Any]]:
        headers = tuple(c.replace("_", " ").title().replace("Uuid", "UUID") for c in self.columns)
        return headers, [tuple(item.get(c) for c in self.columns) for item in items]
