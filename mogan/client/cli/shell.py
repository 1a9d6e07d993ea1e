"""The standalone client: ``mogan instance create …``, ``mogan type list``…

Authentication the OpenStack way: ``--os-cloud`` / ``OS_CLOUD`` names a cloud of clouds.yaml,
or the ``OS_*`` variables (``OS_AUTH_URL``, ``OS_USERNAME``…) describe one, both read by
openstacksdk's config loader and turned into a keystoneauth session; Mogan is found in the
catalog as ``baremetal-compute``. ``--os-url`` / ``MOGAN_URL`` instead talks to a ``noauth``
Mogan at that URL, naming the caller with ``--os-project-id`` / ``--os-user-id`` /
``--os-roles`` if given.

Exit status: 0 done; 1 the request failed (refused, ended in ``error``, timed out; the message
says why, with the request id); 2 the command line was wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from cliff import app, commandmanager

from mogan import __version__
from mogan.client.api import Client


def build_client(options: argparse.Namespace) -> Client:
    if options.os_url:
        return Client.noauth(
            options.os_url,
            project_id=options.os_project_id,
            user_id=options.os_user_id,
            roles=options.os_roles,
        )
    import openstack.config

    region = openstack.config.OpenStackConfig().get_one(
        cloud=options.os_cloud, region_name=options.os_region_name
    )
    interface = options.os_interface or region.get_interface()
    return Client(
        region.get_session(),
        interface=str(interface) if interface else None,
        region_name=region.region_name,
    )


class ClientManager:
    """Builds the client on first use, so ``--help`` never needs credentials."""

    def __init__(self, options: argparse.Namespace) -> None:
        self._options = options
        self._client: Client | None = None

    @property
    def baremetal_compute(self) -> Client:
        if self._client is None:
            self._client = build_client(self._options)
        return self._client


class MoganShell(app.App):
    def __init__(self) -> None:
        super().__init__(
            description="Mogan: bare-metal instances from the command line.",
            version=__version__,
            command_manager=commandmanager.CommandManager("mogan.cli"),
            deferred_help=True,
        )
        self.client_manager: ClientManager | None = None

    def build_option_parser(
        self,
        description: str | None,
        version: str | None,
        argparse_kwargs: dict[str, Any] | None = None,
    ) -> argparse.ArgumentParser:
        parser = super().build_option_parser(description, version, argparse_kwargs)
        env = os.environ.get
        parser.add_argument(
            "--os-url",
            default=env("MOGAN_URL"),
            help="URL of a noauth Mogan (env MOGAN_URL); without it, Keystone is used",
        )
        parser.add_argument("--os-cloud", default=env("OS_CLOUD"), help="cloud in clouds.yaml")
        parser.add_argument("--os-region-name", default=env("OS_REGION_NAME"))
        parser.add_argument("--os-interface", default=env("OS_INTERFACE"))
        parser.add_argument(
            "--os-project-id", default=env("OS_PROJECT_ID"), help="noauth: the acting project"
        )
        parser.add_argument("--os-user-id", default=env("OS_USER_ID"), help="noauth: the user")
        parser.add_argument(
            "--os-roles", default=env("MOGAN_ROLES"), help="noauth: roles, comma-separated"
        )
        return parser

    def initialize_app(self, argv: Sequence[str]) -> None:
        self.client_manager = ClientManager(self.options)


def main(argv: Sequence[str] | None = None) -> int:
    return int(MoganShell().run(list(sys.argv[1:] if argv is None else argv)))
