"""The Redfish tier: Mogan's API and engine against sushy-tools' emulator."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import Api, ThreadedServer
from tests.peers.redfish import FileServer, RedfishEmulator


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RedfishEmulator]:
    bmc = RedfishEmulator(tmp_path, systems=20, fast=True).start()
    yield bmc
    bmc.stop()


@pytest.fixture
def files(tmp_path: Path) -> Iterator[FileServer]:
    with FileServer(tmp_path / "www") as server:
        yield server


def redfish_settings(files: FileServer) -> dict[str, Any]:
    return {
        "redfish__configdrive_dir": str(files.directory / "configdrive"),
        "redfish__configdrive_url": f"{files.url}/configdrive",
        "redfish__poll_interval": 0.05,
        "redfish__power_state_timeout": 30,
        # Long enough for sushy-tools on a loaded machine; the hanging-BMC test sets its own.
        "redfish__read_timeout": 10,
        "redfish__connect_timeout": 2,
        "engine__driver_retries": 2,
        "engine__power_state_timeout": 30,
        "engine__power_poll_interval": 0.05,
    }


@pytest.fixture
def start_api(mogan_factory: Any, files: FileServer) -> Iterator[Callable[..., Api]]:
    servers: list[ThreadedServer] = []
    clients: list[httpx.Client] = []

    def start(**overrides: Any) -> Api:
        mogan = mogan_factory(**{**redfish_settings(files), **overrides})
        server = ThreadedServer(mogan.app).__enter__()
        servers.append(server)
        client = httpx.Client(base_url=server.url, timeout=60)
        clients.append(client)
        return Api(client)

    yield start
    for client in clients:
        client.close()
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def api(start_api: Callable[..., Api]) -> Api:
    return start_api()


def _mac_of(name: str) -> str:
    """A MAC address of the node's own: three bytes of a digest of its name (one byte of
    ``hash(name)`` let two names of a test collide now and then, and the enrolment fail)."""
    digest = hashlib.sha256(name.encode()).digest()
    return "52:54:01:" + ":".join(f"{byte:02x}" for byte in digest[:3])


def enrol(
    api: Api, name: str, driver_info: dict[str, Any], *, zone: str = "az1", expect: int = 201
) -> dict[str, Any]:
    response = api.admin.post(
        "/v1/nodes",
        {
            "name": name,
            "driver": "redfish",
            "driver_info": driver_info,
            "properties": {"cpus": 16},
            "resource_class": "baremetal",
            "availability_zone": zone,
            "nics": [{"mac_address": _mac_of(name), "port_type": "10GE"}],
        },
    )
    assert response.status_code == expect, response.text
    return api.wait_verified(response.json()["uuid"]) if expect == 201 else response.json()


def make_world(api: Api, files: FileServer) -> dict[str, Any]:
    """A type, an ISO image served on loopback, a network."""
    image = api.admin.post(
        "/v1/images", {"name": "live-iso", "url": files.add_iso(), "disk_format": "iso"}
    )
    assert image.status_code == 201
    return {"type": api.make_type(), "image": image.json(), "network": api.make_network()}


@pytest.fixture
def world(api: Api, files: FileServer) -> dict[str, Any]:
    return make_world(api, files)


def create(api: Api, world: dict[str, Any], name: str = "server") -> str:
    response = api.create(
        world["type"], world["image"], [{"net_id": world["network"]["uuid"]}], name=name
    )
    assert response.status_code == 201, response.text
    uuid: str = response.json()["uuid"]
    return uuid
