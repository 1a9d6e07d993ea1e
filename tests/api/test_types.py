"""Instance types and extra specs (../shared/spec/types.inc) and availability zones."""

from __future__ import annotations

from tests.harness import Api, fault_of, project

TYPE_FIELDS = {
    "uuid",
    "name",
    "description",
    "is_public",
    "extra_specs",
    "created_at",
    "updated_at",
    "links",
}


def test_type_crud_as_the_spec_shows(api: Api):
    created = api.admin.post(
        "/v1/types", {"name": "test_type", "description": "this is a test type", "is_public": True}
    )
    assert created.status_code == 201
    body = created.json()
    assert set(body) == TYPE_FIELDS
    assert (body["extra_specs"], body["updated_at"]) == ({}, None)
    base = str(api.http.base_url).rstrip("/")
    assert body["links"][0] == {"href": f"{base}/v1/types/{body['uuid']}", "rel": "self"}
    assert body["links"][1] == {"href": f"{base}/types/{body['uuid']}", "rel": "bookmark"}
    assert api.get(f"/v1/types/{body['uuid']}").json() == body
    updated = api.admin.put(
        f"/v1/types/{body['uuid']}",
        {"name": "updated_type", "description": "this is a type to be updated", "is_public": False},
    )
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["is_public"]) == ("updated_type", False)
    assert api.admin.delete(f"/v1/types/{body['uuid']}").status_code == 204
    assert api.admin.get(f"/v1/types/{body['uuid']}").status_code == 404


def test_create_with_a_chosen_uuid_and_duplicates_conflict(api: Api):
    uuid = "7de2859d-ec6d-42c7-bb86-9d630ba5ac94"
    assert api.admin.post("/v1/types", {"name": "a", "uuid": uuid}).json()["uuid"] == uuid
    again = api.admin.post("/v1/types", {"name": "a"})
    assert again.status_code == 409
    fault_of(again)


def test_extra_specs_list_patch_delete(api: Api):
    type_ = api.make_type()
    path = f"/v1/types/{type_['uuid']}/extraspecs"
    assert api.admin.patch(path, {"key_1": "value_1", "key_2": "value_2"}).status_code == 201
    patched = api.admin.patch(path, {"key_3": "value_3"})
    assert patched.status_code == 201
    assert patched.json() == {
        "extra_specs": {"key_1": "value_1", "key_2": "value_2", "key_3": "value_3"}
    }
    assert api.get(path).json()["extra_specs"]["key_3"] == "value_3"
    assert api.admin.delete(f"{path}/key_1").status_code == 204
    missing = api.admin.delete(f"{path}/key_1")
    assert missing.status_code == 404
    assert "key_1" in fault_of(missing)["faultstring"]
    assert set(api.get(path).json()["extra_specs"]) == {"key_2", "key_3"}
    bad = api.admin.patch(path, {"key": 5})
    assert bad.status_code == 400


def test_type_writes_are_admin_only(api: Api):
    type_ = api.make_type()
    member = api.as_(project("tenant-a"))
    for response in (
        member.post("/v1/types", {"name": "mine"}),
        member.put(f"/v1/types/{type_['uuid']}", {"name": "x"}),
        member.delete(f"/v1/types/{type_['uuid']}"),
        member.patch(f"/v1/types/{type_['uuid']}/extraspecs", {"a": "b"}),
        member.post(f"/v1/types/{type_['uuid']}/access", {"tenant_id": "x"}),
    ):
        assert response.status_code == 403, response.text
        assert "mogan:instance_type" in fault_of(response)["faultstring"]
    assert api.get(f"/v1/types/{type_['uuid']}").json()["name"] == "bm.small"


def test_private_types_are_visible_to_their_projects_only(api: Api):
    public = api.make_type("public")
    private = api.make_type("private", is_public=False)
    member = api.as_(project("tenant-a"))
    assert [t["uuid"] for t in member.get("/v1/types").json()["types"]] == [public["uuid"]]
    assert member.get(f"/v1/types/{private['uuid']}").status_code == 404
    grant = api.admin.post(f"/v1/types/{private['uuid']}/access", {"tenant_id": "tenant-a"})
    assert grant.status_code == 201
    assert {t["uuid"] for t in member.get("/v1/types").json()["types"]} == {
        public["uuid"],
        private["uuid"],
    }
    assert api.admin.get(f"/v1/types/{private['uuid']}/access").json() == {
        "type_access": [{"type_uuid": private["uuid"], "tenant_id": "tenant-a"}]
    }
    assert api.as_(project("tenant-b")).get(f"/v1/types/{private['uuid']}").status_code == 404
    assert api.admin.delete(f"/v1/types/{private['uuid']}/access/tenant-a").status_code == 204
    assert member.get(f"/v1/types/{private['uuid']}").status_code == 404


def test_non_uuid_type_ident_is_404(api: Api):
    response = api.get("/v1/types/bm.small")
    assert response.status_code == 404
    fault_of(response)


def test_availability_zones_are_those_of_enrolled_nodes(api: Api):
    assert api.get("/v1/availability_zones").json() == {"availability_zones": []}
    for name, zone in (("a", "az2"), ("b", "az1"), ("c", "az2")):
        api.enrol(name, zone=zone)
    assert api.get("/availability_zones").json() == {"availability_zones": ["az1", "az2"]}
