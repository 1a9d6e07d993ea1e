"""Enrolling a node over Redfish validates it against the BMC first."""

from __future__ import annotations

import pytest

from tests.functional.process import free_port
from tests.harness import Api, fault_of
from tests.peers.redfish import PASSWORD, RedfishEmulator
from tests.redfish.conftest import enrol

# What the BMC answers decides these tests, not the database.
pytestmark = pytest.mark.backends("sqlite")


def test_a_good_node_is_enrolled_and_its_password_never_shown(api: Api, emulator):
    node = enrol(api, "r1", emulator.driver_info(0))
    assert node["driver"] == "redfish"
    assert node["driver_info"]["redfish_password"] == "******"
    shown = api.admin.get(f"/v1/nodes/{node['uuid']}")
    assert PASSWORD not in shown.text
    checks = api.admin.get(f"/v1/nodes/{node['uuid']}/validate").json()
    assert checks == {
        name: {"result": True, "reason": None} for name in ("power", "management", "boot", "deploy")
    }


@pytest.mark.parametrize(
    "change, words",
    [
        ({"redfish_password": "wrong"}, "Incorrect username or password"),
        ({"redfish_system_id": "/redfish/v1/Systems/no-such-system"}, "has no system"),
        ({"redfish_system_id": None}, "manages 20 systems"),
        ({"redfish_address": f"http://127.0.0.1:{free_port()}"}, "could not be reached"),
    ],
)
def test_a_bad_node_is_refused_with_the_bmc_reason(
    api: Api, emulator: RedfishEmulator, change, words
):
    info = {k: v for k, v in {**emulator.driver_info(0), **change}.items() if v is not None}
    response = api.admin.post(
        "/v1/nodes", {"name": "bad", "driver": "redfish", "driver_info": info}
    )
    assert response.status_code == 400
    message = fault_of(response)["faultstring"]
    assert words in message
    assert "bad" in message and PASSWORD not in message
    assert api.admin.get("/v1/nodes").json()["nodes"] == []


def test_address_is_required(api: Api):
    response = api.admin.post("/v1/nodes", {"name": "x", "driver": "redfish", "driver_info": {}})
    assert response.status_code == 400
    assert "redfish_address" in fault_of(response)["faultstring"]


def test_validate_reports_a_bmc_gone_away(api: Api, emulator: RedfishEmulator):
    node = enrol(api, "r1", emulator.driver_info(0))
    emulator.kill()
    checks = api.admin.get(f"/v1/nodes/{node['uuid']}/validate").json()
    assert all(not check["result"] for check in checks.values())
    assert "could not be reached" in checks["power"]["reason"]
