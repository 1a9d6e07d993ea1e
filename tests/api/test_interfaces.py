"""Interfaces after create on Mogan's own networks: another NIC of the instance's node on a
network, and taken off again (``POST``/``DELETE /instances/{id}/networks/interfaces``).
The Neutron backend's are in ``tests/functional/test_neutron.py``."""

from __future__ import annotations

from typing import Any

from tests.harness import Api, fault_of, project


def _active(api: Api, fleet: dict[str, Any]) -> dict:
    created = api.create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}])
    assert created.status_code == 201, created.text
    return api.wait_status(created.json()["uuid"], "active")


def _ports(instance: dict) -> dict:
    return dict(instance["network_info"])


def test_an_interface_is_attached_on_a_free_nic_and_detached_again(api: Api, fleet):
    second = api.make_network("second", "10.9.0.0/24")
    instance = _active(api, fleet)
    uuid = instance["uuid"]
    (first_port,) = _ports(instance)

    attached = api.post(f"/v1/instances/{uuid}/networks/interfaces", {"net_id": second["uuid"]})
    assert attached.status_code == 202, attached.text
    assert attached.headers["Location"].endswith(f"/v1/instances/{uuid}")
    grown = api.wait_for(uuid, lambda i: len(i["network_info"]) == 2, what="two ports")
    (new_port,) = set(_ports(grown)) - {first_port}
    wired = grown["network_info"][new_port]
    assert wired["network"] == second["uuid"]
    assert wired["fixed_ips"][0]["ip_address"].startswith("10.9.0.")
    assert wired["mac_address"] != grown["network_info"][first_port]["mac_address"]
    listed = api.get(f"/v1/networks/{second['uuid']}/ports").json()["ports"]
    assert [p["uuid"] for p in listed] == [new_port]
    assert grown["status"] == "active"

    # Both NICs of the node serve the instance now: no third interface.
    full = api.post(f"/v1/instances/{uuid}/networks/interfaces", {"net_id": second["uuid"]})
    assert full.status_code == 409 and "no free NIC" in fault_of(full)["faultstring"]

    detached = api.delete(f"/v1/instances/{uuid}/networks/interfaces/{new_port}")
    assert detached.status_code == 202, detached.text
    shrunk = api.wait_for(uuid, lambda i: len(i["network_info"]) == 1, what="one port")
    assert list(_ports(shrunk)) == [first_port]
    assert api.get(f"/v1/networks/{second['uuid']}/ports").json()["ports"] == []
    gone = api.delete(f"/v1/instances/{uuid}/networks/interfaces/{new_port}")
    assert gone.status_code == 404

    history = api.get(f"/v1/instances/{uuid}/actions").json()["actions"]
    assert {"attach_interface", "detach_interface"} <= {a["action"] for a in history}


def test_only_the_owning_member_changes_interfaces_and_never_a_locked_one(api: Api, fleet):
    instance = _active(api, fleet)
    uuid = instance["uuid"]
    path = f"/v1/instances/{uuid}/networks/interfaces"
    body = {"net_id": fleet["network"]["uuid"]}
    (port,) = _ports(instance)

    other = api.as_(project("tenant-b"))
    assert other.post(path, body).status_code == 404
    assert other.delete(f"{path}/{port}").status_code == 404
    reader = api.as_(project("tenant-a", "reader"))
    assert reader.post(path, body).status_code == 403
    assert reader.post(path, {"bogus": 1}).status_code == 403  # 403 before any 400
    assert reader.delete(f"{path}/{port}").status_code == 403
    assert api.http.post(path, json=body).status_code == 401  # anonymous

    # Ports and fixed addresses are Neutron's: refused naming the field on Mogan's networks.
    given = api.post(path, {"port_id": "6c5d2a4e-3b1f-4e8a-9c7d-1a2b3c4d5e6f"})
    assert given.status_code == 400 and "'interface.0.port_id'" in fault_of(given)["faultstring"]
    missing = api.post(path, {"net_id": "6c5d2a4e-3b1f-4e8a-9c7d-1a2b3c4d5e6f"})
    assert missing.status_code == 400 and "'net_id'" in fault_of(missing)["faultstring"]

    locked = api.admin.put(f"/v1/instances/{uuid}/states/lock", {"target": True})
    assert locked.status_code == 200, locked.text
    refused = api.post(path, body)
    assert refused.status_code == 409 and "locked" in fault_of(refused)["faultstring"]
    assert api.delete(f"{path}/{port}").status_code == 409
    assert _ports(api.get(f"/v1/instances/{uuid}").json()) == _ports(instance)


def test_floating_ips_need_neutron(api: Api, fleet):
    instance = _active(api, fleet)
    path = f"/v1/instances/{instance['uuid']}/networks/floatingips"
    refused = api.post(path, {"address": "203.0.113.5"})
    assert refused.status_code == 409 and "Neutron" in fault_of(refused)["faultstring"]
    assert api.as_(project("tenant-a", "reader")).post(path, {"x": 1}).status_code == 403
    assert api.as_(project("tenant-b")).post(path, {"address": "203.0.113.5"}).status_code == 404
    assert api.post(path, {"address": "not-an-ip"}).status_code == 400
