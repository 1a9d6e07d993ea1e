"""Ironic answering 5xx or going away, seen through Mogan's API (in-process Mogan, real Ironic
behind a fault proxy): retried with backoff, then a fault quoting Ironic's answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import conformance
from tests.harness import Api, ThreadedServer
from tests.peers.ironic import IronicServer
from tests.peers.redfish import FaultProxy

# What Ironic answers decides these tests, not the database (PostgreSQL, as beside Ironic).
pytestmark = pytest.mark.backends("postgresql")


@pytest.fixture
def ironic(tmp_path: Path) -> Iterator[IronicServer]:
    server = IronicServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def proxy(ironic: IronicServer) -> Iterator[FaultProxy]:
    with FaultProxy(ironic.url) as fronted:
        yield fronted


@pytest.fixture
def api(mogan_factory: Any, proxy: FaultProxy) -> Iterator[Api]:
    mogan = mogan_factory(
        enabled_drivers=["ironic"],
        ironic__auth_type="none",
        ironic__endpoint_override=proxy.url,
        ironic__poll_interval=0.05,
        ironic__deploy_timeout=30,
        ironic__status_code_retries=0,
        engine__driver_retries=3,
        engine__driver_retry_interval=0.3,  # waits 0.3, 0.6, 1.2 s
        engine__power_state_timeout=20,
    )
    with ThreadedServer(mogan.app) as server, conformance.client(server.url, timeout=60) as c:
        yield Api(c)


def _active_instance(ironic: IronicServer, api: Api) -> dict[str, Any]:
    ironic.enrol(2)
    assert api.sync()["result"] == "success"
    type_ = api.make_type(extra_specs={"resources:CUSTOM_BAREMETAL": "1"})
    created = api.create(type_, api.make_image(), [{"net_id": api.make_network()["uuid"]}])
    assert created.status_code == 201, created.text
    return api.wait_status(created.json()["uuid"], "active", 30)


def _power(api: Api, uuid: str, target: str) -> None:
    response = api.put(f"/v1/instances/{uuid}/states/power", {"target": target})
    assert response.status_code == 202, response.text


def _settled(api: Api, uuid: str) -> dict[str, Any]:
    return api.wait_for(
        uuid,
        lambda i: api.get(f"/v1/instances/{i['uuid']}/states").json()["target_power_state"] is None,
        30,
        "the power request to end",
    )


def test_a_passing_5xx_is_retried_and_the_request_succeeds(
    ironic: IronicServer, api: Api, proxy: FaultProxy, backend: str
):
    instance = _active_instance(ironic, api)
    proxy.requests.clear()
    proxy.fail_method = "PUT"
    proxy.fail_next = 1  # Ironic answers the power request 503 once, then recovers
    proxy.status = 503
    _power(api, instance["uuid"], "off")
    done = api.wait_for(
        instance["uuid"],
        lambda i: (
            i["power_state"] == "power off"
            and api.get(f"/v1/instances/{i['uuid']}/states").json()["target_power_state"] is None
        ),
        30,
        "power off, observed",
    )
    assert done["status"] == "active"
    assert ironic.node(_node_of(ironic, instance))["power_state"] == "power off"
    puts = [path for method, path in proxy.requests if method == "PUT"]
    assert len(puts) >= 2, proxy.requests  # refused once, then retried


def _node_of(ironic: IronicServer, instance: dict[str, Any]) -> str:
    (node,) = [n["uuid"] for n in ironic.nodes() if n["instance_uuid"] == instance["uuid"]]
    return node


def test_a_lasting_5xx_ends_in_a_fault_quoting_ironic(
    ironic: IronicServer, api: Api, proxy: FaultProxy, backend: str
):
    instance = _active_instance(ironic, api)
    proxy.mode = "error"
    proxy.status = 500
    _power(api, instance["uuid"], "off")
    done = _settled(api, instance["uuid"])
    assert done["status"] == "active"
    assert done["power_state"] == "power on"  # nothing changed, and Mogan says so
    node = api.admin.get(f"/v1/nodes/{_node_of(ironic, instance)}").json()
    assert "Ironic answered 500" in node["last_error"], node["last_error"]
    failed = api.sync()
    assert failed["result"] == "error"
    assert "Ironic answered 500" in failed["message"]
    proxy.mode = "pass"
    assert api.sync()["result"] == "success"
