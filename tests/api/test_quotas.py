"""Quotas as an operator sets them and a tenant meets them."""

from __future__ import annotations

from typing import Any

from tests.harness import Api, fault_of, project


def _net(fleet: dict[str, Any]) -> list[dict[str, str]]:
    return [{"net_id": fleet["network"]["uuid"]}]


def _set(api: Api, project_id: str, **limits: Any) -> dict[str, Any]:
    response = api.admin.put(f"/v1/quotas/{project_id}", limits)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _usage(api: Api, project_id: str = "tenant-a") -> dict[str, Any]:
    response = api.get(f"/v1/quotas/{project_id}/usage")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_instance_quota_refuses_the_one_too_many_until_one_is_gone(api: Api, fleet):
    assert _set(api, "tenant-a", instances=2)["instances"] == 2
    made = [api.create(fleet["type"], fleet["image"], _net(fleet), name=f"s{i}") for i in (1, 2)]
    assert all(r.status_code == 201 for r in made)
    refused = api.create(fleet["type"], fleet["image"], _net(fleet), name="s3")
    assert refused.status_code == 403, refused.text
    assert fault_of(refused)["faultstring"] == (
        "Quota exceeded for instances: requested 1, limit 2, in use 2."
    )
    assert len(api.get("/v1/instances").json()["instances"]) == 2  # nothing was made
    assert _usage(api)["instances"] == {"limit": 2, "in_use": 2}

    # An instance counts until it is gone: not when its delete is accepted.
    first = made[0].json()["uuid"]
    api.wait_status(first, "active")
    assert api.delete(f"/v1/instances/{first}").status_code == 204
    api.wait_gone(first)
    assert api.create(fleet["type"], fleet["image"], _net(fleet), name="s3").status_code == 201
    # Another project is not affected; the defaults are unlimited.
    other = api.as_(project("tenant-b"))
    assert other.create(fleet["type"], fleet["image"], _net(fleet)).status_code == 201


def test_an_instance_in_error_holds_its_quota_until_deleted(api: Api, fleet):
    _set(api, "tenant-a", instances=1)
    for node in fleet["nodes"]:
        api.admin.patch(
            f"/v1/nodes/{node['uuid']}",
            [{"op": "add", "path": "/driver_info/fake_fail_deploy", "value": True}],
        )
    failed = api.create(fleet["type"], fleet["image"], _net(fleet)).json()
    api.wait_status(failed["uuid"], "error")
    assert api.create(fleet["type"], fleet["image"], _net(fleet)).status_code == 403
    api.delete(f"/v1/instances/{failed['uuid']}")
    api.wait_gone(failed["uuid"])
    assert _usage(api)["instances"]["in_use"] == 0


def test_nodes_are_counted_per_resource_class(api: Api, fleet):
    for index in range(2):
        api.enrol(f"gold-{index}", resource_class="gold")
    gold = api.make_type("bm.gold", extra_specs={"resources:CUSTOM_GOLD": "1"})
    limits = _set(api, "tenant-a", resources={"CUSTOM_GOLD": 1})
    assert limits["resources"] == {"CUSTOM_GOLD": 1}
    assert api.create(gold, fleet["image"], _net(fleet)).status_code == 201
    refused = api.create(gold, fleet["image"], _net(fleet))
    assert refused.status_code == 403
    assert "CUSTOM_GOLD nodes: requested 1, limit 1, in use 1" in fault_of(refused)["faultstring"]
    assert api.create(fleet["type"], fleet["image"], _net(fleet)).status_code == 201  # baremetal
    usage = _usage(api)
    assert usage["resources"]["CUSTOM_GOLD"] == {"limit": 1, "in_use": 1}
    assert usage["instances"] == {"limit": -1, "in_use": 2}
    # Back to the defaults.
    assert api.admin.delete("/v1/quotas/tenant-a").status_code == 204
    assert api.create(gold, fleet["image"], _net(fleet)).status_code == 201


def test_key_pairs_and_server_groups_have_quotas(api: Api):
    _set(api, "tenant-a", keypairs=1, server_groups=1)
    assert api.post("/v1/keypairs", {"name": "a"}).status_code == 201
    refused = api.post("/v1/keypairs", {"name": "b"})
    assert refused.status_code == 403 and "keypairs" in fault_of(refused)["faultstring"]
    group = {"name": "g", "policy": "anti-affinity"}
    assert api.post("/v1/server_groups", group).status_code == 201
    refused = api.post("/v1/server_groups", group)
    assert refused.status_code == 403 and "server_groups" in fault_of(refused)["faultstring"]
    usage = _usage(api)
    assert usage["keypairs"] == {"limit": 1, "in_use": 1}
    assert usage["server_groups"] == {"limit": 1, "in_use": 1}


def test_who_may_read_and_set_quotas(api: Api):
    reader = api.as_(project("tenant-a", "reader"))
    assert reader.get("/v1/quotas/tenant-a/usage").status_code == 200
    # Only operators read or set limits; a tenant never reads another project's usage.
    for caller in (api, reader):
        assert caller.get("/v1/quotas/tenant-a").status_code == 403
        assert caller.put("/v1/quotas/tenant-a", {"instances": 100}).status_code == 403
        assert caller.put("/v1/quotas/tenant-a", {"instances": "lots"}).status_code == 403
        assert caller.delete("/v1/quotas/tenant-a").status_code == 403
        assert caller.get("/v1/quotas/tenant-b/usage").status_code == 403
    assert Api(api.http, {"X-Roles": "admin"}).get("/v1/quotas/x").status_code == 400
    for body in (
        {"instances": -2},
        {"instances": "10"},
        {"resources": {"gold": 1}},
        {"bananas": 1},
        [],
    ):
        response = api.admin.put("/v1/quotas/tenant-a", body)
        assert response.status_code == 400, (body, response.text)
    shown = api.admin.get("/v1/quotas/tenant-a").json()
    assert shown == {
        "project_id": "tenant-a",
        "instances": -1,
        "keypairs": 100,
        "server_groups": 10,
        "server_group_members": 10,
        "nodes": -1,
        "resources": {},
    }
