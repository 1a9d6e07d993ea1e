"""What an attacker tries at the edge: no caller, another site's page, a rebinding name,
huge or odd bodies, NUL characters, forged log lines. Each is refused before any route runs,
with the OpenStack error body, and changes nothing."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from tests.harness import ADMIN, Api, fault_of, make_mogan, project

# The guard answers before any route or database; where a database could answer
# otherwise (NaN, NUL, overlong ids) the test says both.
pytestmark = pytest.mark.backends("sqlite")

TENANT = project("tenant-a")


def _instances(api: Api) -> list[dict[str, Any]]:
    return api.admin.get("/v1/instances", params={"all_tenants": 1}).json()["instances"]


def _create_body(fleet: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "s",
        "instance_type_uuid": fleet["type"]["uuid"],
        "image_uuid": fleet["image"]["uuid"],
        "networks": [{"net_id": fleet["network"]["uuid"]}],
        **extra,
    }


# -- who is calling --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path", [("GET", "/v1/instances"), ("GET", "/v1/nodes"), ("POST", "/v1/types")]
)
def test_a_request_naming_nobody_is_anonymous_not_the_admin(api: Api, method, path):
    response = api.http.request(method, path, json={"name": "t"} if method == "POST" else None)
    assert response.status_code == 401, response.text
    assert "X-Project-Id" in fault_of(response)["faultstring"]
    assert api.admin.get("/v1/types").json()["types"] == []


@pytest.mark.parametrize("path", ["/", "/v1"])
def test_the_version_documents_stay_open(api: Api, path):
    assert api.http.get(path).status_code == 200


def test_a_configured_default_caller_is_a_member_never_an_admin(mogan_factory, api_for, fleet):
    member = api_for(mogan_factory(noauth__default_project_id="demo"))
    created = member.http.post("/v1/instances", json=_create_body(fleet))
    assert created.status_code == 201, created.text
    assert created.json()["project_id"] == "demo"
    assert member.http.get("/v1/nodes").status_code == 403
    with pytest.raises(ValueError, match="admin"):
        make_mogan(
            "sqlite://", "/tmp", noauth__default_project_id="x", noauth__default_roles=["admin"]
        )


def test_glance_images_are_never_read_without_the_callers_token():
    """Glance decides what a caller may use from the caller's token: in noauth there is none,
    and every tenant would see what Mogan's own service user sees."""
    with pytest.raises(ValueError, match="auth_strategy = keystone"):
        make_mogan("sqlite://", "/tmp", image__backend="glance")


@pytest.mark.backends("sqlite", "postgresql")
def test_an_overlong_project_or_user_id_is_400(api: Api):
    for header in ("X-Project-Id", "X-User-Id"):
        response = api.get("/v1/instances", headers={header: "p" * 256})
        assert response.status_code == 400, response.text
        assert header in fault_of(response)["faultstring"]


# -- another site's page, another name for this host ----------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_bodies_other_than_json_are_415(api: Api, fleet, content_type):
    headers = {**TENANT, **({"Content-Type": content_type} if content_type else {})}
    response = api.http.post(
        "/v1/instances", content=json.dumps(_create_body(fleet)), headers=headers
    )
    assert response.status_code == 415, response.text
    assert "application/json" in fault_of(response)["faultstring"]
    assert _instances(api) == []


def test_json_patch_is_accepted_as_its_own_media_type(api: Api, fleet):
    node = fleet["nodes"][0]
    response = api.http.patch(
        f"/v1/nodes/{node['uuid']}",
        content=json.dumps([{"op": "replace", "path": "/name", "value": "renamed"}]),
        headers={**ADMIN, "Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 200, response.text


def test_a_write_from_another_sites_page_is_refused(api: Api, fleet):
    evil = {**TENANT, "Origin": "https://evil.example"}
    response = api.post("/v1/instances", _create_body(fleet), headers=evil)
    assert response.status_code == 403, response.text
    assert "evil.example" in fault_of(response)["faultstring"]
    assert _instances(api) == []
    own = f"http://{httpx.URL(str(api.http.base_url)).netloc.decode()}"
    same_site = api.post("/v1/instances", _create_body(fleet), headers={"Origin": own})
    assert same_site.status_code == 201, same_site.text


def test_configured_origins_may_write(mogan_factory, api_for, fleet):
    other = api_for(mogan_factory(api__allowed_origins=["https://console.example.com"]))
    response = other.post(
        "/v1/instances",
        _create_body(fleet),
        headers={"Origin": "https://console.example.com"},
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("host", ["evil.example", "evil.example:6688", "rebind.attacker.test"])
def test_a_name_that_is_not_this_services_is_refused(api: Api, host):
    response = api.get("/v1/instances", headers={"Host": host})
    assert response.status_code == 400, response.text
    assert "not served here" in fault_of(response)["faultstring"]


@pytest.mark.parametrize("host", ["localhost", "localhost:6688", "127.0.0.1:1", "[::1]:8"])
def test_loopback_names_and_addresses_are_served(api: Api, host):
    assert api.get("/v1/instances", headers={"Host": host}).status_code == 200


def test_configured_host_names_are_served(mogan_factory, api_for):
    other = api_for(mogan_factory(api__allowed_hosts=["mogan.example.com"]))
    assert other.get("/v1/instances", headers={"Host": "mogan.example.com"}).status_code == 200
    assert other.get("/v1/instances", headers={"Host": "localhost"}).status_code == 400


# -- sizes and odd values ---------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_it_is_parsed(mogan_factory, api_for, fleet):
    small = api_for(mogan_factory(api__max_request_body_size=4096))
    body = _create_body(fleet, description="d" * 200, extra={f"k{i}": "v" * 100 for i in range(60)})
    response = small.post("/v1/instances", body)
    assert response.status_code == 413, response.text

    def chunks():
        yield b'{"name": "s", "extra": {'
        for i in range(100):
            yield f'"k{i}": "{"v" * 100}", '.encode()
        yield b'"last": "v"}}'

    streamed = small.http.post(
        "/v1/instances", content=chunks(), headers={**TENANT, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413, streamed.text
    assert _instances(small) == []


@pytest.mark.parametrize(
    "field, value, limit",
    [
        ("extra", {f"k{i}": "v" for i in range(129)}, "128"),
        ("networks", None, "32"),
    ],
)
def test_lists_and_maps_of_a_body_are_bounded(api: Api, fleet, field, value, limit):
    if field == "networks":
        value = [{"net_id": fleet["network"]["uuid"]}] * 33
    response = api.post("/v1/instances", _create_body(fleet, **{field: value}))
    assert response.status_code == 400, response.text
    assert field in fault_of(response)["faultstring"] and limit in fault_of(response)["faultstring"]
    assert _instances(api) == []


@pytest.mark.backends("sqlite", "postgresql")
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_400_and_stored_nowhere(api: Api, constant):
    raw = f'{{"name": "n1", "driver": "fake", "driver_info": {{"x": {constant}}}}}'
    response = api.admin.request(
        "POST", "/v1/nodes", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert api.admin.get("/v1/nodes").json()["nodes"] == []


@pytest.mark.backends("sqlite", "postgresql")
@pytest.mark.parametrize(
    "path",
    [
        "/v1/instances?name=%00",
        "/v1/instances?marker=%00",
        "/v1/instances?tags=a%00b",
        "/v1/instances?status=%00",
        "/v1/keypairs/%00",
        "/v1/nodes/%00",
        "/v1/quotas/%00",
    ],
)
def test_a_nul_in_a_path_or_query_is_400(api: Api, path):
    response = api.admin.get(path)
    assert response.status_code == 400, response.text
    assert "NUL" in fault_of(response)["faultstring"]


def test_a_path_cannot_forge_an_access_log_line(api: Api):
    access = logging.getLogger("mogan.api.access")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    access.addHandler(handler)
    # Another test of this process may have reconfigured logging (dictConfig disables
    # existing loggers): this one is wanted as a deployment has it.
    level, disabled = access.level, access.disabled
    access.setLevel(logging.INFO)
    access.disabled = False
    try:
        api.get("/v1/instances%0A2026-12-04 00:00:00 1 INFO mogan.api.access forged")
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
        access.disabled = disabled
    lines = [record.getMessage() for record in records]
    assert lines and all("\n" not in line for line in lines)
    assert any("\\x0a2026-12-04" in line for line in lines)


@pytest.mark.backends("sqlite", "postgresql")
def test_a_nul_in_an_extra_spec_is_400_not_a_500(api: Api):
    type_ = api.make_type()
    response = api.admin.patch(f"/v1/types/{type_['uuid']}/extraspecs", {"k\x00": "v"})
    assert response.status_code == 400, response.text
    assert api.admin.get(f"/v1/types/{type_['uuid']}/extraspecs").json()["extra_specs"] == {}
