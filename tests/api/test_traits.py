"""Node traits (Ironic's ``/v1/nodes/{node}/traits``) and the instance types that require or
forbid them (``trait:<NAME>=required|forbidden``, Nova's spelling)."""

from __future__ import annotations

from typing import Any

from tests.harness import Api, fault_of, project


def _node_of(api: Api, uuid: str) -> str:
    nodes = api.admin.get("/v1/nodes").json()["nodes"]
    return str(next(n["name"] for n in nodes if n["instance_uuid"] == uuid))


def _traits(api: Api, node: str) -> list[str]:
    answer = api.admin.get(f"/v1/nodes/{node}/traits")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["traits"])


def test_types_place_instances_by_the_traits_nodes_have(api: Api):
    for name in ("plain", "raid", "gpu"):
        api.enrol(name)
    assert api.admin.put("/v1/nodes/raid/traits", {"traits": ["CUSTOM_RAID10"]}).status_code == 204
    assert api.admin.put("/v1/nodes/gpu/traits/CUSTOM_GPU").status_code == 204
    assert api.admin.put("/v1/nodes/gpu/traits/CUSTOM_GPU").status_code == 204  # idempotent
    assert _traits(api, "raid") == ["CUSTOM_RAID10"] and _traits(api, "gpu") == ["CUSTOM_GPU"]
    image, network = api.make_image(), api.make_network()

    def create(type_: dict[str, Any]) -> dict:
        created = api.create(type_, image, [{"net_id": network["uuid"]}])
        assert created.status_code == 201, created.text
        return dict(created.json())

    raid10 = api.make_type("db.raid10", extra_specs={"trait:CUSTOM_RAID10": "required"})
    first = api.wait_status(create(raid10)["uuid"], "active")
    assert _node_of(api, first["uuid"]) == "raid"
    # The only RAID node is taken: the next one has nowhere to go.
    second = api.wait_status(create(raid10)["uuid"], "error")
    assert "No valid node" in second["fault"]["message"]

    no_gpu = api.make_type("web", extra_specs={"trait:CUSTOM_GPU": "forbidden"})
    third = api.wait_status(create(no_gpu)["uuid"], "active")
    assert _node_of(api, third["uuid"]) == "plain"
    fourth = api.wait_status(create(no_gpu)["uuid"], "error")  # only the GPU node is left
    assert "No valid node" in fourth["fault"]["message"]

    assert api.admin.delete("/v1/nodes/gpu/traits/CUSTOM_GPU").status_code == 204
    assert api.admin.delete("/v1/nodes/gpu/traits/CUSTOM_GPU").status_code == 404
    fifth = api.wait_status(create(no_gpu)["uuid"], "active")
    assert _node_of(api, fifth["uuid"]) == "gpu"
    assert api.admin.put("/v1/nodes/raid/traits", {"traits": []}).status_code == 204
    assert _traits(api, "raid") == []


def test_traits_are_the_operators_and_well_formed(api: Api):
    api.enrol("n1")
    path = "/v1/nodes/n1/traits"
    member, reader = api.as_(project("tenant-a")), api.as_(project("tenant-a", "reader"))
    for caller in (member, reader):
        assert caller.get(path).status_code == 403
        assert caller.put(path, {"traits": ["CUSTOM_X"]}).status_code == 403
        assert caller.put(path, {"traits": "not a list"}).status_code == 403  # 403 before 400
        assert caller.put(f"{path}/CUSTOM_X").status_code == 403
        assert caller.delete(f"{path}/CUSTOM_X").status_code == 403
    assert api.http.get(path).status_code == 401
    for bad in (
        {"traits": ["lower_case"]},
        {"traits": ["CUSTOM X"]},
        {"traits": [f"CUSTOM_{i}" for i in range(51)]},
        {"traits": "CUSTOM_X"},
        {},
    ):
        refused = api.admin.put(path, bad)
        assert refused.status_code == 400, (bad, refused.text)
    one = api.admin.put(f"{path}/not-a-trait")
    assert one.status_code == 400 and "trait'" in fault_of(one)["faultstring"]
    assert _traits(api, "n1") == []  # nothing changed
    assert api.admin.get("/v1/nodes/nope/traits").status_code == 404
