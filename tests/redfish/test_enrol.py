"""Enrolling a node over Redfish: an engine checks it against the BMC before it is
available; a node that fails stays in ``enroll`` with the BMC's reason until fixed."""

from __future__ import annotations

import time

import pytest

from tests.functional.process import free_port
from tests.harness import Api, fault_of
from tests.peers.redfish import PASSWORD, RedfishEmulator
from tests.redfish.conftest import enrol

# What the BMC answers decides these tests, not the database.
pytestmark = pytest.mark.backends("sqlite")


def test_a_good_node_is_enrolled_and_its_password_never_shown(api: Api, emulator):
    node = enrol(api, "r1", emulator.driver_info(0))
    assert node["provision_state"] == "available"
    assert node["driver"] == "redfish"
    assert node["driver_info"]["redfish_password"] == "******"
    shown = api.admin.get(f"/v1/nodes/{node['uuid']}")
    assert PASSWORD not in shown.text
    checks = api.admin.get(f"/v1/nodes/{node['uuid']}/validate").json()
    assert checks == {
        name: {"result": True, "reason": None} for name in ("power", "management", "boot", "deploy")
    }
    (verify,) = api.admin.get(f"/v1/nodes/{node['uuid']}/history").json()["history"]
    assert (verify["action"], verify["result"]) == ("verify", "success")


@pytest.mark.parametrize(
    "change, words",
    [
        ({"redfish_password": "wrong"}, "Incorrect username or password"),
        ({"redfish_system_id": "/redfish/v1/Systems/no-such-system"}, "has no system"),
        ({"redfish_system_id": None}, "manages 20 systems"),
        ({"redfish_address": f"http://127.0.0.1:{free_port()}"}, "could not be reached"),
    ],
)
def test_a_bad_node_stays_enrolled_with_the_bmc_reason_until_fixed(
    api: Api, emulator: RedfishEmulator, change, words
):
    good = emulator.driver_info(0)
    info = {k: v for k, v in {**good, **change}.items() if v is not None}
    response = api.admin.post(
        "/v1/nodes", {"name": "bad", "driver": "redfish", "driver_info": info}
    )
    assert response.status_code == 201, response.text
    assert response.json()["provision_state"] == "verifying"
    node = api.wait_verified(response.json()["uuid"])
    assert node["provision_state"] == "enroll"  # never scheduled
    assert words in node["last_error"]
    assert "bad" in node["last_error"] and PASSWORD not in node["last_error"]
    (verify,) = api.admin.get("/v1/nodes/bad/history").json()["history"]
    assert verify["result"] == "error" and words in verify["message"]
    assert PASSWORD not in api.admin.get("/v1/nodes/bad/history").text

    # The operator fixes the node and asks again: it passes and is available.
    patch = [{"op": "replace", "path": "/driver_info", "value": good}]
    assert api.admin.patch("/v1/nodes/bad", patch).status_code == 200
    again = api.admin.post("/v1/nodes/bad/verify")
    assert again.status_code == 202, again.text
    assert again.json()["provision_state"] == "verifying"
    fixed = api.wait_verified(node["uuid"])
    assert (fixed["provision_state"], fixed["last_error"]) == ("available", None)


def test_address_is_required(api: Api):
    response = api.admin.post("/v1/nodes", {"name": "x", "driver": "redfish", "driver_info": {}})
    assert response.status_code == 400
    assert "redfish_address" in fault_of(response)["faultstring"]
    assert api.admin.get("/v1/nodes").json()["nodes"] == []


def test_validate_reports_a_bmc_gone_away_once_verified_again(api: Api, emulator: RedfishEmulator):
    node = enrol(api, "r1", emulator.driver_info(0))
    emulator.kill()
    # What was found stands until the node is checked again; the check is the engine's.
    assert api.admin.get(f"/v1/nodes/{node['uuid']}/validate").json()["power"]["result"]
    assert api.admin.post(f"/v1/nodes/{node['uuid']}/verify").status_code == 202
    deadline = time.monotonic() + 20
    while api.admin.get(f"/v1/nodes/{node['uuid']}/validate").json()["power"]["result"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    checks = api.admin.get(f"/v1/nodes/{node['uuid']}/validate").json()
    assert all(not check["result"] for check in checks.values())
    assert "could not be reached" in checks["power"]["reason"]
    shown = api.admin.get(f"/v1/nodes/{node['uuid']}").json()
    assert shown["provision_state"] == "available"  # a check alone moves no node
    assert "could not be reached" in shown["last_error"]
