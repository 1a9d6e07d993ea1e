"""The OpenStackClient plugin: ``openstack baremetal compute instance create …``.

OSC finds it through the ``openstack.cli.extension`` entry point and builds the client from
its own session (clouds.yaml, ``OS_*``), as python-ironicclient's plugin does.
"""

from __future__ import annotations

import argparse
from typing import Any

from mogan.client.api import Client

API_NAME = "baremetal_compute"
API_VERSION_OPTION = "os_baremetal_compute_api_version"
API_VERSIONS = {"1": "mogan.client.api.Client"}
DEFAULT_API_VERSION = "1"


def make_client(instance: Any) -> Client:
    """The SDK client over OSC's authenticated session."""
    return Client(
        instance.session,
        interface=instance.interface,
        region_name=instance.region_name,
    )


def build_option_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--os-baremetal-compute-api-version",
        metavar="<version>",
        default=DEFAULT_API_VERSION,
        help="Mogan API version (only 1 exists)",
    )
    return parser
