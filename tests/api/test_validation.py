"""Bad input to create gets a 400 naming the field, and creates nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.harness import Api, fault_of

# Bodies are judged by their schema before any database is asked (NUL included).
pytestmark = pytest.mark.backends("sqlite")

UNKNOWN = "6f1d2e8c-9a8b-4c3d-8e7f-0a1b2c3d4e5f"


def _valid(fleet: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "ok",
        "instance_type_uuid": fleet["type"]["uuid"],
        "image_uuid": fleet["image"]["uuid"],
        "networks": [{"net_id": fleet["network"]["uuid"]}],
    }


CASES = [
    ("missing name", lambda b: b.pop("name"), "name"),
    ("empty name", lambda b: b.update(name=""), "name"),
    ("blank name", lambda b: b.update(name="   "), "name"),
    ("long name", lambda b: b.update(name="n" * 256), "name"),
    ("long description", lambda b: b.update(description="d" * 256), "description"),
    ("malformed type uuid", lambda b: b.update(instance_type_uuid="abc"), "instance_type_uuid"),
    ("malformed image uuid", lambda b: b.update(image_uuid="abc"), "image_uuid"),
    ("unknown type", lambda b: b.update(instance_type_uuid=UNKNOWN), "instance_type_uuid"),
    ("unknown image", lambda b: b.update(image_uuid=UNKNOWN), "image_uuid"),
    ("unknown network", lambda b: b.update(networks=[{"net_id": UNKNOWN}]), "networks.0.net_id"),
    ("malformed net_id", lambda b: b.update(networks=[{"net_id": "x"}]), "networks.0.net_id"),
    ("unknown zone", lambda b: b.update(availability_zone="az9"), "availability_zone"),
    ("unknown top-level key", lambda b: b.update(flavor="big"), "flavor"),
    ("extra value not a string", lambda b: b.update(extra={"k": 1}), "extra.k"),
    ("extra key too long", lambda b: b.update(extra={"k" * 256: "v"}), "extra"),
    ("networks empty", lambda b: b.update(networks=[]), "networks"),
    ("networks not a list", lambda b: b.update(networks={"net_id": UNKNOWN}), "networks"),
    ("network not an object", lambda b: b.update(networks=["x"]), "networks.0"),
    (
        "network without net_id or port_id",
        lambda b: b.update(networks=[{"port_type": "1GE"}]),
        "networks.0",
    ),
    ("name not a string", lambda b: b.update(name=12), "name"),
    # PostgreSQL cannot store NUL: refused on every backend alike, never a 500.
    ("NUL in name", lambda b: b.update(name="web\x00"), "name"),
    ("NUL in extra", lambda b: b.update(extra={"k": "v\x00"}), "extra"),
]


@pytest.mark.parametrize("label, mutate, field", CASES, ids=[c[0] for c in CASES])
def test_invalid_create_is_400_naming_the_field(api: Api, fleet, label, mutate, field):
    body = _valid(fleet)
    mutate(body)
    response = api.post("/v1/instances", body)
    assert response.status_code == 400, response.text
    assert f"'{field}" in fault_of(response)["faultstring"]
    assert api.admin.get("/v1/instances", params={"all_tenants": 1}).json()["instances"] == []


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"text"'])
def test_malformed_bodies_are_400(api: Api, fleet, raw):
    response = api.request(
        "POST", "/v1/instances", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert fault_of(response)["faultstring"]
    assert api.admin.get("/v1/instances", params={"all_tenants": 1}).json()["instances"] == []


def test_private_type_of_another_project_is_unknown(api: Api, fleet):
    private = api.make_type("private", is_public=False)
    body = {**_valid(fleet), "instance_type_uuid": private["uuid"]}
    response = api.post("/v1/instances", body)
    assert response.status_code == 400
    assert "instance_type_uuid" in fault_of(response)["faultstring"]
    grant = api.admin.post(f"/v1/types/{private['uuid']}/access", {"tenant_id": "tenant-a"})
    assert grant.status_code == 201
    assert api.post("/v1/instances", body).status_code == 201


def test_error_bodies_are_openstack_shaped_everywhere(api: Api):
    for response in (
        api.get("/v1/nowhere"),
        api.request("DELETE", "/v1/types"),
        api.get("/v1/types/not-a-uuid"),
    ):
        assert response.status_code in (404, 405)
        fault = fault_of(response)
        assert "Traceback" not in json.dumps(fault)
        assert response.headers["X-OpenStack-Request-Id"].startswith("req-")


def test_every_response_has_a_distinct_request_id(api: Api):
    ids = {api.get("/v1").headers["X-OpenStack-Request-Id"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("prefix", ["/v1", ""])
def test_a_405_allows_every_method_of_the_path(api: Api, fleet, prefix):
    type_uuid = fleet["type"]["uuid"]
    node_uuid = fleet["nodes"][0]["uuid"]
    for method, path, allowed in [
        ("PUT", "/instances", {"GET", "POST"}),
        ("POST", f"/types/{type_uuid}", {"DELETE", "GET", "PUT"}),
        ("PUT", f"/nodes/{node_uuid}", {"DELETE", "GET", "PATCH"}),
        ("GET", f"/types/{type_uuid}/extraspecs/k", {"DELETE"}),
    ]:
        response = api.admin.request(method, prefix + path)
        assert response.status_code == 405, (method, path, response.text)
        assert set(response.headers["Allow"].split(", ")) == allowed, (method, path)
        assert f"not allowed on {prefix}{path}" in fault_of(response)["faultstring"]
