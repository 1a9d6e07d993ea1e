"""Who may see and do what: tenants apart, readers read, refusals before validation.

Each test plays the callers a real cloud has: two tenants, a reader of one of them, an
operator, and (in noauth mode) a caller that names itself only partly.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import Api, fault_of, project


def _active(api: Api, fleet: dict[str, Any], name: str) -> dict:
    created = api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], name=name
    )
    assert created.status_code == 201, created.text
    return api.wait_status(created.json()["uuid"], "active")


def test_a_tenant_sees_only_its_own_ports_on_a_shared_network(api: Api, fleet):
    tenant_b = api.as_(project("tenant-b"))
    mine = _active(api, fleet, "a-server")
    theirs = _active(tenant_b, fleet, "b-server")
    path = f"/v1/networks/{fleet['network']['uuid']}/ports"

    def seen_by(caller: Api) -> set[str]:
        response = caller.get(path)
        assert response.status_code == 200, response.text
        return {p["instance_uuid"] for p in response.json()["ports"]}

    assert seen_by(api) == {mine["uuid"]}
    assert seen_by(tenant_b) == {theirs["uuid"]}
    assert seen_by(api.as_(project("tenant-a", "reader"))) == {mine["uuid"]}
    assert seen_by(api.as_(project("tenant-c"))) == set()
    assert seen_by(api.admin) == {mine["uuid"], theirs["uuid"]}
    # Nor do another tenant's MACs or addresses appear anywhere in the answer.
    body = api.get(path).text
    (their_port,) = theirs["network_info"].values()
    assert their_port["mac_address"] not in body
    assert their_port["fixed_ips"][0]["ip_address"] not in body


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Roles": "reader"},
        {"X-Roles": "admin"},
        {"X-User-Id": "someone"},
        {"X-User-Id": "someone", "X-Roles": "member"},
    ],
)
def test_noauth_identity_without_a_project_is_refused(api: Api, fleet, headers):
    anonymous = Api(api.http, headers)
    before = api.admin.get("/v1/instances?all_tenants=1").json()["instances"]
    response = anonymous.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}]
    )
    assert response.status_code == 400, response.text
    assert "X-Project-Id" in fault_of(response)["faultstring"]
    assert anonymous.get("/v1/nodes").status_code == 400
    assert api.admin.get("/v1/instances?all_tenants=1").json()["instances"] == before


def test_no_identity_headers_at_all_is_anonymous(api: Api):
    # noauth's default: nobody (a web page could send a request without headers).
    assert api.http.get("/v1/nodes").status_code == 401


# (caller's roles, method, path, an incomplete or malformed body): each caller may never do
# this, so it learns that first, not what the body lacks.
_REFUSED_BEFORE_VALIDATION = [
    ("reader", "POST", "/v1/instances", {}),
    ("reader", "POST", "/v1/instances", {"name": ""}),
    ("reader", "PUT", "/v1/instances/{instance}/states/power", {}),
    ("reader", "PUT", "/v1/instances/{instance}/states/power", {"target": "explode"}),
    ("reader", "PATCH", "/v1/instances/{instance}", [{"op": "bogus"}]),
    ("member", "POST", "/v1/nodes", {}),
    ("member", "PATCH", "/v1/nodes/{node}", "not a patch"),
    ("member", "POST", "/v1/types", {"name": 5}),
    ("member", "PUT", "/v1/types/{type}", {"is_public": "maybe"}),
    ("member", "PATCH", "/v1/types/{type}/extraspecs", ["not", "an", "object"]),
    ("member", "POST", "/v1/types/{type}/access", {}),
    ("member", "POST", "/v1/images", {}),
    ("member", "PATCH", "/v1/images/{image}", {}),
    ("member", "POST", "/v1/networks", {"subnets": "x"}),
    ("member", "PATCH", "/v1/networks/{network}", {}),
    ("member", "POST", "/v1/manageable_instances", {}),
]


@pytest.mark.parametrize("roles, method, path, body", _REFUSED_BEFORE_VALIDATION)
def test_a_caller_who_may_not_act_gets_403_before_any_400(
    api: Api, fleet, roles, method, path, body
):
    instance = _active(api, fleet, "server") if "{instance}" in path else {"uuid": "-"}
    path = path.format(
        instance=instance["uuid"],
        node=fleet["nodes"][0]["uuid"],
        type=fleet["type"]["uuid"],
        image=fleet["image"]["uuid"],
        network=fleet["network"]["uuid"],
    )
    response = api.as_(project("tenant-a", roles)).request(method, path, json=body)
    assert response.status_code == 403, response.text
    assert "Policy does not allow" in fault_of(response)["faultstring"]
    # The same body from a caller who may act is the 400 it deserves.
    allowed = api if roles == "reader" else api.admin
    assert allowed.request(method, path, json=body).status_code == 400
