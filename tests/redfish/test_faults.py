"""A BMC that fails: each fault ends the operation cleanly with a fault a person can act on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.harness import Api
from tests.peers.redfish import PASSWORD, FaultProxy, RedfishEmulator
from tests.redfish.conftest import create, enrol, make_world

# What the BMC answers decides these tests, not the database.
pytestmark = pytest.mark.backends("sqlite")


def _states(api: Api, uuid: str) -> dict[str, Any]:
    return api.get(f"/v1/instances/{uuid}/states").json()


def _power(api: Api, uuid: str, target: str) -> None:
    response = api.put(f"/v1/instances/{uuid}/states/power", {"target": target})
    assert response.status_code == 202, response.text


def _settled(api: Api, uuid: str) -> None:
    api.wait_for(
        uuid,
        lambda i: _states(api, i["uuid"])["target_power_state"] is None,
        timeout=30,
        what="power request settled",
    )


def test_emulator_killed_mid_deploy(api: Api, world, tmp_path: Path):
    """The BMC dies during the deploy: fault, no node left claimed."""
    slow = RedfishEmulator(tmp_path, systems=3, fast=False).start()
    try:
        nodes = [enrol(api, f"r{i}", slow.driver_info(i)) for i in range(3)]
        uuid = create(api, world)
        api.wait_for(uuid, lambda i: bool(i["network_info"]), what="node claimed")
        # At once: the deploy follows the claim immediately and takes a fraction of a second
        # (a pause here once let it finish before the BMC died).
        slow.kill()
        failed = api.wait_status(uuid, "error", timeout=60)
    finally:
        slow.kill()
    message = failed["fault"]["message"]
    assert "could not be reached" in message
    assert not any(n["name"] in message for n in nodes)  # the tenant reads a host id
    operators = api.admin.get(f"/v1/instances/{uuid}").json()["fault"]["message"]
    assert any(n["name"] in operators for n in nodes)
    assert PASSWORD not in message and PASSWORD not in operators
    after = api.admin.get("/v1/nodes").json()["nodes"]
    assert all(n["instance_uuid"] is None for n in after)
    tried = [n for n in after if n["last_error"]]
    assert tried and all(n["maintenance"] for n in tried)
    assert all("Clean-up after a failed deploy" in n["maintenance_reason"] for n in tried)
    assert api.get(f"/v1/networks/{world['network']['uuid']}/ports").json()["ports"] == []


def _active_behind_proxy(api: Api, world, emulator: RedfishEmulator, proxy: FaultProxy) -> str:
    enrol(api, "r0", emulator.driver_info(0, redfish_address=proxy.url))
    uuid = create(api, world)
    try:
        api.wait_status(uuid, "active", timeout=30)
    finally:
        assert proxy.errors == []
    return uuid


def test_unsupported_reset_type_is_a_clear_fault_not_retried(api: Api, world, emulator):
    with FaultProxy(emulator.url) as proxy:
        uuid = _active_behind_proxy(api, world, emulator, proxy)
        proxy.mode = "refuse_reset"
        before = proxy.count("POST", "ComputerSystem.Reset")
        _power(api, uuid, "off")
        _settled(api, uuid)
        assert proxy.count("POST", "ComputerSystem.Reset") == before + 1
    instance = api.get(f"/v1/instances/{uuid}").json()
    assert (instance["status"], instance["power_state"]) == ("active", "power on")
    (node,) = api.admin.get("/v1/nodes").json()["nodes"]
    assert "ActionNotSupported" in node["last_error"]
    assert "r0" in node["last_error"]


def test_bmc_answering_5xx_is_retried_then_faults_then_recovers(api: Api, world, emulator):
    with FaultProxy(emulator.url) as proxy:
        uuid = _active_behind_proxy(api, world, emulator, proxy)
        proxy.mode = "error"
        proxy.requests.clear()
        _power(api, uuid, "off")
        _settled(api, uuid)
        assert len(proxy.requests) >= 3  # the first try and two retries
        (node,) = api.admin.get("/v1/nodes").json()["nodes"]
        assert "HTTP 503" in node["last_error"] and "bad day" in node["last_error"]
        assert api.get(f"/v1/instances/{uuid}").json()["power_state"] == "power on"
        proxy.mode = "pass"
        _power(api, uuid, "off")
        api.wait_for(uuid, lambda i: i["power_state"] == "power off", timeout=30)
    assert emulator.system(0)["PowerState"] == "Off"


def test_hanging_bmc_times_out_and_is_retried(start_api: Callable[..., Api], files, emulator):
    api = start_api(redfish__read_timeout=0.5)
    world = make_world(api, files)
    with FaultProxy(emulator.url) as proxy:
        uuid = _active_behind_proxy(api, world, emulator, proxy)
        proxy.mode, proxy.hang_seconds = "hang", 1.5
        _power(api, uuid, "off")
        _settled(api, uuid)
        (node,) = api.admin.get("/v1/nodes").json()["nodes"]
        assert "timed out" in node["last_error"]
        proxy.mode = "pass"
    assert api.get(f"/v1/instances/{uuid}").json()["status"] == "active"


def test_soft_off_that_is_ignored_falls_back_to_a_hard_off(start_api, files, emulator):
    api = start_api(engine__soft_power_timeout=1)
    world = make_world(api, files)
    with FaultProxy(emulator.url) as proxy:
        uuid = _active_behind_proxy(api, world, emulator, proxy)
        proxy.mode = "ignore_soft"
        _power(api, uuid, "soft_off")
        api.wait_for(uuid, lambda i: i["power_state"] == "power off", timeout=30)
        _settled(api, uuid)
        resets = [p for m, p in proxy.requests if p.endswith("ComputerSystem.Reset")]
        assert len(resets) >= 3  # On at deploy, the ignored GracefulShutdown, the ForceOff
    assert emulator.system(0)["PowerState"] == "Off"


def test_soft_off_with_fallback_fail_ends_in_a_fault(start_api, files, emulator):
    api = start_api(engine__soft_power_timeout=1, engine__soft_power_fallback="fail")
    world = make_world(api, files)
    with FaultProxy(emulator.url) as proxy:
        uuid = _active_behind_proxy(api, world, emulator, proxy)
        proxy.mode = "ignore_soft"
        _power(api, uuid, "soft_off")
        _settled(api, uuid)
    (node,) = api.admin.get("/v1/nodes").json()["nodes"]
    assert "did not reach 'power off'" in node["last_error"]
    assert api.get(f"/v1/instances/{uuid}").json()["power_state"] == "power on"
