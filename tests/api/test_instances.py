"""The instances API as a tenant sees it (../shared/spec/instances-api.rst)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import Api, fault_of, project

SPEC_FIELDS = {
    "name",
    "description",
    "instance_type_uuid",
    "image_uuid",
    "availability_zone",
    "network_info",
    "links",
    "uuid",
    "status",
    "power_state",
    "project_id",
    "user_id",
    "updated_at",
    "created_at",
    "launched_at",
    "extra",
}


def _create(api: Api, fleet: dict[str, Any], name: str = "web-1", **extra: Any) -> dict:
    response = api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], name=name, **extra
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_create_answers_building_with_self_location_then_becomes_active(api: Api, fleet):
    response = api.create(
        fleet["type"],
        fleet["image"],
        [{"net_id": fleet["network"]["uuid"], "port_type": "10GE"}],
        name="web-1",
        description="front end",
        extra={"role": "web"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= SPEC_FIELDS
    assert body["status"] == "building"
    assert body["power_state"] is None
    assert body["project_id"] == "tenant-a" and body["user_id"] == "tenant-a-user"
    assert body["extra"] == {"role": "web"}
    base = str(api.http.base_url).rstrip("/")
    self_link = f"{base}/v1/instances/{body['uuid']}"
    assert response.headers["Location"] == self_link
    assert body["links"] == [
        {"href": self_link, "rel": "self"},
        {"href": f"{base}/instances/{body['uuid']}", "rel": "bookmark"},
    ]
    assert "fault" not in body

    active = api.wait_status(body["uuid"], "active")
    assert active["power_state"] == "power on"
    assert active["launched_at"] is not None
    assert active["availability_zone"] in ("az1", "az2")
    ((port_uuid, port),) = active["network_info"].items()
    assert port["network"] == fleet["network"]["uuid"]
    subnet = fleet["network"]["subnets"][0]
    assert port["fixed_ips"] == [{"ip_address": "10.0.0.2", "subnet_id": subnet["uuid"]}]
    nodes = {n["uuid"]: n for n in api.admin.get("/v1/nodes").json()["nodes"]}
    serving = [n for n in nodes.values() if n["instance_uuid"] == body["uuid"]]
    assert len(serving) == 1
    ten_gig = next(nic for nic in serving[0]["nics"] if nic["port_type"] == "10GE")
    assert port["mac_address"] == ten_gig["mac_address"]
    ports = api.get(f"/v1/networks/{fleet['network']['uuid']}/ports").json()["ports"]
    assert [p["uuid"] for p in ports] == [port_uuid]


def test_requested_zone_is_honoured(api: Api, fleet):
    body = _create(api, fleet, availability_zone="az2")
    assert body["availability_zone"] == "az2"
    assert api.wait_status(body["uuid"], "active")["availability_zone"] == "az2"


def test_list_shows_default_fields_and_detail_shows_all(api: Api, fleet):
    created = _create(api, fleet)
    listed = api.get("/v1/instances").json()["instances"]
    assert (
        listed == [{k: created[k] for k in ("uuid", "name", "description", "status", "links")}]
        or listed[0]["uuid"] == created["uuid"]
    )
    assert set(listed[0]) == {"uuid", "name", "description", "status", "links"}
    detail = api.get("/v1/instances/detail").json()["instances"]
    assert set(detail[0]) >= SPEC_FIELDS


def test_fields_selects_what_is_returned_with_links_always(api: Api, fleet):
    created = _create(api, fleet)
    listed = api.get("/v1/instances", params={"fields": "uuid,power_state"}).json()
    assert set(listed["instances"][0]) == {"uuid", "power_state", "links"}
    shown = api.get(f"/v1/instances/{created['uuid']}", params={"fields": "name"}).json()
    assert set(shown) == {"name", "links"}
    bad = api.get("/v1/instances", params={"fields": "uuid,secret"})
    assert bad.status_code == 400
    assert "secret" in fault_of(bad)["faultstring"]


def test_unversioned_paths_are_the_same_resources(api: Api, fleet):
    created = _create(api, fleet)
    api.wait_status(created["uuid"], "active")  # so that nothing changes between two GETs
    assert api.get("/instances").json() == api.get("/v1/instances").json()
    # GET /v1/instances/{id} is answered before FastAPI's routing (api/hot.py), the bookmark
    # path by the FastAPI route: the same answers, errors included.
    for ident, params in (
        (created["uuid"], {}),
        (created["uuid"], {"fields": "name,status"}),
        (created["uuid"], {"fields": "name,secret"}),
        ("00000000-0000-0000-0000-000000000000", {}),
        ("web-1", {}),
    ):
        versioned = api.get(f"/v1/instances/{ident}", params=params)
        bookmark = api.get(f"/instances/{ident}", params=params)
        assert (versioned.status_code, versioned.json()) == (bookmark.status_code, bookmark.json())
        assert versioned.headers["content-type"] == bookmark.headers["content-type"]
    assert api.as_(project("tenant-b")).get(f"/v1/instances/{created['uuid']}").status_code == 404


def test_projects_are_isolated(api: Api, fleet):
    mine = _create(api, fleet)
    other = api.as_(project("tenant-b"))
    assert other.get("/v1/instances").json()["instances"] == []
    assert other.get("/v1/instances/detail").json()["instances"] == []
    for method, path, body in (
        ("GET", "", None),
        ("GET", "/states", None),
        ("PATCH", "", [{"op": "replace", "path": "/name", "value": "x"}]),
        ("PUT", "/states/power", {"target": "off"}),
        ("DELETE", "", None),
    ):
        response = other.request(method, f"/v1/instances/{mine['uuid']}{path}", json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert "tenant-a" not in response.text
    assert api.get(f"/v1/instances/{mine['uuid']}").json()["name"] == "web-1"


def test_all_tenants_is_for_admins_only(api: Api, fleet):
    mine = _create(api, fleet)
    theirs = (
        api.as_(project("tenant-b"))
        .create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], name="b")
        .json()
    )
    everything = api.admin.get("/v1/instances", params={"all_tenants": 1}).json()["instances"]
    assert {i["uuid"] for i in everything} == {mine["uuid"], theirs["uuid"]}
    refused = api.get("/v1/instances", params={"all_tenants": 1})
    assert refused.status_code == 403
    fault_of(refused)
    assert [i["uuid"] for i in api.get("/v1/instances").json()["instances"]] == [mine["uuid"]]


def test_unknown_and_non_uuid_idents_are_404(api: Api, fleet):
    for ident in ("web-1", "00000000-0000-0000-0000-000000000000"):
        response = api.get(f"/v1/instances/{ident}")
        assert response.status_code == 404
        assert ident in fault_of(response)["faultstring"]
        assert response.headers["X-OpenStack-Request-Id"].startswith("req-")


def test_patch_updates_writable_fields(api: Api, fleet):
    created = _create(api, fleet, extra={"k0": "v0"})
    response = api.patch(
        f"/v1/instances/{created['uuid']}",
        [
            {"op": "replace", "path": "/extra/k1", "value": "v1"},
            {"op": "add", "path": "/extra/k2", "value": "v2"},
            {"op": "remove", "path": "/extra/k0"},
            {"op": "replace", "path": "/name", "value": "renamed"},
            {"op": "add", "path": "/description", "value": "new words"},
        ],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["extra"] == {"k1": "v1", "k2": "v2"}
    assert (body["name"], body["description"]) == ("renamed", "new words")
    assert api.get(f"/v1/instances/{created['uuid']}").json()["extra"] == body["extra"]


@pytest.mark.parametrize(
    "patch, words",
    [
        ([{"op": "replace", "path": "/status", "value": "active"}], "/status"),
        ([{"op": "replace", "path": "/project_id", "value": "x"}], "/project_id"),
        ([{"op": "jump", "path": "/name", "value": "x"}], "jump"),
        ([{"op": "remove", "path": "/extra/missing"}], "cannot be applied"),
        ({"op": "replace", "path": "/name", "value": "x"}, "list"),
        ([{"op": "replace", "path": "/name", "value": ""}], "name"),
        ([{"op": "replace", "path": "/name", "value": "x" * 256}], "name"),
        ([{"op": "add", "path": "/extra/k", "value": 5}], "extra.k"),
        ([{"op": "replace", "path": "/name"}], "value"),
    ],
)
def test_bad_patches_are_400_and_change_nothing(api: Api, fleet, patch, words):
    created = _create(api, fleet)
    response = api.patch(f"/v1/instances/{created['uuid']}", patch)
    assert response.status_code == 400, response.text
    assert words in fault_of(response)["faultstring"]
    after = api.get(f"/v1/instances/{created['uuid']}").json()
    assert (after["name"], after["extra"]) == ("web-1", {})


def test_delete_answers_204_then_the_instance_is_gone_and_its_node_free(api: Api, fleet):
    created = _create(api, fleet)
    api.wait_status(created["uuid"], "active")
    response = api.delete(f"/v1/instances/{created['uuid']}")
    assert response.status_code == 204
    assert response.content == b""
    shown = api.get(f"/v1/instances/{created['uuid']}")
    assert shown.status_code == 404 or shown.json()["status"] == "deleting"
    api.wait_gone(created["uuid"])
    nodes = api.admin.get("/v1/nodes").json()["nodes"]
    assert all(n["instance_uuid"] is None for n in nodes)
    assert api.get(f"/v1/networks/{fleet['network']['uuid']}/ports").json()["ports"] == []
    assert api.delete(f"/v1/instances/{created['uuid']}").status_code == 404


def test_delete_while_building_cleans_up(api: Api, fleet):
    for node in fleet["nodes"]:
        slow = api.admin.patch(
            f"/v1/nodes/{node['uuid']}",
            [{"op": "add", "path": "/driver_info/fake_deploy_latency", "value": 1}],
        )
        assert slow.status_code == 200
    created = _create(api, fleet, availability_zone="az1")
    api.wait_for(created["uuid"], lambda i: bool(i["network_info"]), what="node claimed")
    assert api.get(f"/v1/instances/{created['uuid']}").json()["status"] == "building"
    assert api.delete(f"/v1/instances/{created['uuid']}").status_code == 204
    api.wait_gone(created["uuid"])
    nodes = api.admin.get("/v1/nodes").json()["nodes"]
    assert all(n["instance_uuid"] is None for n in nodes)
    assert api.get(f"/v1/networks/{fleet['network']['uuid']}/ports").json()["ports"] == []
