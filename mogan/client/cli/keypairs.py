"""``mogan keypair create|import|list|show|delete``: the caller's SSH keys."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from osc_lib import exceptions as osc_exceptions

from mogan.client.api import Resource
from mogan.client.cli.base import Command, ListCommand, ShowCommand, client_of, failing


def _pairs(resource: Resource) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    keys = tuple(k for k in resource.body if k not in ("links", "private_key"))
    return keys, tuple(resource.body[k] for k in keys)


def _user_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", metavar="USER_ID", help="another user's (administrators)")


class CreateKeyPair(ShowCommand):
    """Generate a key pair; its private key is written to --private-key FILE (mode 0600), or
    printed once if no file is given: Mogan keeps only the public half."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="NAME")
        parser.add_argument("--private-key", metavar="FILE", help="where to write the key")
        _user_option(parser)
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        target = Path(parsed.private_key) if parsed.private_key else None
        if target is not None and target.exists():
            raise osc_exceptions.CommandError(f"{target} exists; not overwriting it.")
        with failing():
            created = client_of(self).keypairs.create(parsed.name, user_id=parsed.user)
        private = created.body["private_key"]
        if target is None:
            self.app.stdout.write(private)
        else:
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(private)
        return _pairs(created)


class ImportKeyPair(ShowCommand):
    """Import a public key (OpenSSH's one-line form) as a key pair."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="NAME")
        parser.add_argument(
            "--public-key", metavar="FILE", required=True, help="e.g. ~/.ssh/id_ed25519.pub"
        )
        _user_option(parser)
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        try:
            public_key = Path(parsed.public_key).expanduser().read_text()
        except OSError as exc:
            raise osc_exceptions.CommandError(f"{parsed.public_key}: {exc.strerror}") from None
        with failing():
            return _pairs(
                client_of(self).keypairs.create(
                    parsed.name, public_key=public_key, user_id=parsed.user
                )
            )


class ListKeyPairs(ListCommand):
    """List your key pairs."""

    columns = ("name", "fingerprint", "type")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        _user_option(parser)
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        with failing():
            return self.rows(k.body for k in client_of(self).keypairs.list(user_id=parsed.user))


class ShowKeyPair(ShowCommand):
    """Show a key pair."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="NAME")
        _user_option(parser)
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        with failing():
            return _pairs(client_of(self).keypairs.get(parsed.name, user_id=parsed.user))


class DeleteKeyPair(Command):
    """Delete key pairs."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("names", metavar="NAME", nargs="+")
        _user_option(parser)
        return parser

    def take_action(self, parsed: argparse.Namespace) -> int:
        with failing():
            for name in parsed.names:
                client_of(self).keypairs.delete(name, user_id=parsed.user)
        return 0
