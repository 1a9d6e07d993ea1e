"""Power states (../shared/spec/instances-api.rst, "Instance Management")."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.harness import Api, fault_of


def _active(api: Api, fleet: dict[str, Any], **node_info: Any) -> dict:
    if node_info:
        for node in fleet["nodes"]:
            api.admin.patch(
                f"/v1/nodes/{node['uuid']}",
                [
                    {"op": "add", "path": f"/driver_info/{k}", "value": v}
                    for k, v in node_info.items()
                ],
            )
    created = api.create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}])
    assert created.status_code == 201
    return api.wait_status(created.json()["uuid"], "active")


def _states(api: Api, uuid: str) -> dict:
    response = api.get(f"/v1/instances/{uuid}/states")
    assert response.status_code == 200
    return response.json()


def test_states_document(api: Api, fleet):
    instance = _active(api, fleet)
    # The spec's two power fields, and the status with the one it is on its way to.
    assert _states(api, instance["uuid"]) == {
        "power_state": "power on",
        "target_power_state": None,
        "status": "active",
        "target_status": None,
    }


@pytest.mark.parametrize(
    "target, observed",
    [
        ("off", "power off"),
        ("soft_off", "power off"),
        ("reboot", "power on"),
        ("soft_reboot", "power on"),
    ],
)
def test_power_change_is_202_with_location_and_observed(api: Api, fleet, target, observed):
    instance = _active(api, fleet)
    response = api.put(f"/v1/instances/{instance['uuid']}/states/power", {"target": target})
    assert response.status_code == 202, response.text
    base = str(api.http.base_url).rstrip("/")
    assert response.headers["Location"] == f"{base}/v1/instances/{instance['uuid']}/states"
    api.wait_for(
        instance["uuid"],
        lambda i: (
            i["power_state"] == observed and _states(api, i["uuid"])["target_power_state"] is None
        ),
    )


def test_target_is_shown_until_the_hardware_is_observed(api: Api, fleet):
    instance = _active(api, fleet, fake_power_latency=1.0)
    start = time.monotonic()
    assert (
        api.put(f"/v1/instances/{instance['uuid']}/states/power", {"target": "off"}).status_code
        == 202
    )
    assert _states(api, instance["uuid"]) == {
        "power_state": "power on",
        "target_power_state": "power off",
        "status": "active",
        "target_status": None,
    }
    second = api.put(f"/v1/instances/{instance['uuid']}/states/power", {"target": "on"})
    assert second.status_code == 409
    assert "pending" in fault_of(second)["faultstring"]
    api.wait_for(instance["uuid"], lambda i: i["power_state"] == "power off", timeout=10)
    assert time.monotonic() - start >= 0.9
    assert _states(api, instance["uuid"])["target_power_state"] is None


@pytest.mark.parametrize(
    "body", [{"target": "explode"}, {}, {"target": "off", "x": 1}, {"target": 1}]
)
def test_bad_targets_are_400(api: Api, fleet, body):
    instance = _active(api, fleet)
    response = api.put(f"/v1/instances/{instance['uuid']}/states/power", body)
    assert response.status_code == 400
    assert "target" in fault_of(response)["faultstring"] or "x" in fault_of(response)["faultstring"]
    assert _states(api, instance["uuid"])["target_power_state"] is None


def test_power_on_a_building_instance_is_409(api: Api, fleet):
    for node in fleet["nodes"]:
        api.admin.patch(
            f"/v1/nodes/{node['uuid']}",
            [{"op": "add", "path": "/driver_info/fake_deploy_latency", "value": 2}],
        )
    created = api.create(
        fleet["type"],
        fleet["image"],
        [{"net_id": fleet["network"]["uuid"]}],
        availability_zone="az1",
    ).json()
    response = api.put(f"/v1/instances/{created['uuid']}/states/power", {"target": "off"})
    assert response.status_code == 409
    assert "is building" in fault_of(response)["faultstring"]
    assert api.get(f"/v1/instances/{created['uuid']}").json()["status"] == "building"


def test_concurrent_power_requests_one_wins(api: Api, fleet):
    instance = _active(api, fleet, fake_power_latency=0.5)
    results: list[int] = []

    def ask() -> None:
        results.append(
            api.put(f"/v1/instances/{instance['uuid']}/states/power", {"target": "off"}).status_code
        )

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [202] + [409] * 5


def test_refused_power_change_clears_target_and_names_the_node(api: Api, fleet):
    instance = _active(api, fleet)
    nodes = api.admin.get("/v1/nodes", params={"associated": "true"}).json()["nodes"]
    (node,) = nodes
    api.admin.patch(
        f"/v1/nodes/{node['uuid']}",
        [{"op": "add", "path": "/driver_info/fake_fail_power", "value": True}],
    )
    assert (
        api.put(f"/v1/instances/{instance['uuid']}/states/power", {"target": "off"}).status_code
        == 202
    )
    api.wait_for(instance["uuid"], lambda i: _states(api, i["uuid"])["target_power_state"] is None)
    after = api.get(f"/v1/instances/{instance['uuid']}").json()
    assert (after["status"], after["power_state"]) == ("active", "power on")
    node_after = api.admin.get(f"/v1/nodes/{node['uuid']}").json()
    assert node["name"] in node_after["last_error"]
    assert "refused" in node_after["last_error"]


@pytest.mark.parametrize("target", ["soft_off", "soft_reboot"])
def test_soft_actions_on_a_powered_off_instance_are_409(api: Api, fleet, target):
    instance = _active(api, fleet)
    uuid = instance["uuid"]
    assert api.put(f"/v1/instances/{uuid}/states/power", {"target": "off"}).status_code == 202
    api.wait_for(uuid, lambda i: i["power_state"] == "power off")
    response = api.put(f"/v1/instances/{uuid}/states/power", {"target": target})
    assert response.status_code == 409, response.text
    assert "powered off" in fault_of(response)["faultstring"]
    # Nothing was queued: the machine stays off and nothing is pending.
    time.sleep(0.3)
    assert _states(api, uuid) == {
        "power_state": "power off",
        "target_power_state": None,
        "status": "active",
        "target_status": None,
    }
    # A hard reboot may still power it on, as Nova's.
    assert api.put(f"/v1/instances/{uuid}/states/power", {"target": "reboot"}).status_code == 202
    api.wait_for(uuid, lambda i: i["power_state"] == "power on")
