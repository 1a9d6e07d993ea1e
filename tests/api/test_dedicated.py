"""Dedicated nodes: a project's own hardware is its own."""

from __future__ import annotations

from typing import Any

from tests.harness import Api, project


def _own(api: Api, node: dict[str, Any], **fields: str | None) -> dict[str, Any]:
    response = api.admin.patch(
        f"/v1/nodes/{node['uuid']}",
        [{"op": "replace", "path": f"/{k}", "value": v} for k, v in fields.items()],
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _node_of(api: Api, uuid: str) -> str:
    nodes = api.admin.get("/v1/nodes").json()["nodes"]
    return next(n["uuid"] for n in nodes if n["instance_uuid"] == uuid)


def _create(caller: Api, fleet: dict[str, Any], type_: dict | None = None, **extra: Any) -> str:
    response = caller.create(
        type_ or fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], **extra
    )
    assert response.status_code == 201, response.text
    return str(response.json()["uuid"])


def test_owned_and_leased_nodes_serve_only_their_projects(api: Api, fleet):
    owned, leased, *shared = fleet["nodes"]
    assert _own(api, owned, owner="tenant-a")["owner"] == "tenant-a"
    assert _own(api, leased, owner="tenant-a", lessee="tenant-c")["lessee"] == "tenant-c"
    other = api.as_(project("tenant-b"))
    # Another project only ever gets the shared nodes, and never counts the dedicated ones.
    theirs = [_create(other, fleet, name=f"b{i}", availability_zone=None) for i in range(3)]
    finals = [other.wait_for(u, lambda i: i["status"] in ("active", "error")) for u in theirs]
    assert sorted(i["status"] for i in finals) == ["active", "active", "error"]
    assert {_node_of(api, i["uuid"]) for i in finals if i["status"] == "active"} == {
        n["uuid"] for n in shared
    }
    # The lessee gets the leased node; the owner its own.
    lessee = api.as_(project("tenant-c"))
    leased_instance = _create(lessee, fleet)
    lessee.wait_status(leased_instance, "active")
    assert _node_of(api, leased_instance) == leased["uuid"]
    mine = _create(api, fleet)
    api.wait_status(mine, "active")
    assert _node_of(api, mine) == owned["uuid"]


def test_a_dedicated_type_takes_only_the_projects_nodes(api: Api, fleet):
    owned = fleet["nodes"][0]
    _own(api, owned, owner="tenant-a")
    dedicated = api.make_type("bm.dedicated", extra_specs={"mogan:dedicated": "true"})
    first = _create(api, fleet, dedicated)
    api.wait_status(first, "active")
    assert _node_of(api, first) == owned["uuid"]
    second = _create(api, fleet, dedicated)  # shared nodes are free, but not dedicated
    assert "No valid node" in api.wait_status(second, "error")["fault"]["message"]
    other = _create(api.as_(project("tenant-b")), fleet, dedicated)
    assert api.as_(project("tenant-b")).wait_status(other, "error")


def test_ownership_changes_do_not_disturb_a_running_instance(api: Api, fleet):
    uuid = _create(api, fleet)
    api.wait_status(uuid, "active")
    node = _node_of(api, uuid)
    _own(api, {"uuid": node}, owner="tenant-z")
    assert api.get(f"/v1/instances/{uuid}").json()["status"] == "active"
    assert _node_of(api, uuid) == node
    # Only operators set ownership.
    patch = [{"op": "replace", "path": "/owner", "value": "tenant-a"}]
    assert api.patch(f"/v1/nodes/{node}", patch).status_code == 403
    assert (
        api.admin.patch(
            f"/v1/nodes/{node}", [{"op": "replace", "path": "/owner", "value": ""}]
        ).status_code
        == 400
    )


def test_a_zone_of_only_another_projects_nodes_is_not_named_to_it(api: Api, fleet):
    for node in fleet["nodes"]:
        if node["availability_zone"] == "az2":
            _own(api, node, owner="tenant-a")
    zones = "/v1/availability_zones"
    assert api.get(zones).json()["availability_zones"] == ["az1", "az2"]
    assert api.as_(project("tenant-b")).get(zones).json()["availability_zones"] == ["az1"]
    assert api.admin.get(zones).json()["availability_zones"] == ["az1", "az2"]
