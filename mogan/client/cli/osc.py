"""The OpenStackClient plugin: ``openstack baremetal compute instance create …``.

OSC finds it through the ``openstack.cli.extension`` entry point and builds the client from
its own session (clouds.yaml, ``OS_*``), as python-ironicclient's plugin does.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from mogan.client.api import Client

API_NAME = "baremetal_compute"
API_VERSION_OPTION = "os_baremetal_compute_api_version"
API_VERSIONS = {"1": "mogan.client.api.Client"}
DEFAULT_API_VERSION = "1"


def make_client(instance: Any) -> Client:
    """The SDK client over OSC's authenticated session. With ``--os-auth-type none`` (a
    ``noauth`` Mogan) there is no token to say who calls: the caller is named from
    ``MOGAN_PROJECT_ID``, ``MOGAN_USER_ID`` and ``MOGAN_ROLES`` (OSC itself refuses
    ``OS_PROJECT_ID`` with that auth type)."""
    headers: dict[str, str] = {}
    if getattr(instance, "auth_plugin_name", None) == "none":
        named = (
            ("X-Project-Id", "MOGAN_PROJECT_ID"),
            ("X-User-Id", "MOGAN_USER_ID"),
            ("X-Roles", "MOGAN_ROLES"),
        )
        headers = {header: os.environ[var] for header, var in named if os.environ.get(var)}
    return Client(
        instance.session,
        interface=instance.interface,
        region_name=instance.region_name,
        headers=headers,
    )


def build_option_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--os-baremetal-compute-api-version",
        metavar="<version>",
        default=DEFAULT_API_VERSION,
        help="Mogan API version (only 1 exists)",
    )
    return parser
