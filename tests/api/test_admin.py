"""The admin API: nodes, images, networks; versions; OpenAPI; pagination."""

from __future__ import annotations

import ipaddress
from collections import Counter

import pytest

from tests.harness import Api, fault_of, project


def test_node_enrolment_masks_secrets_and_shows_state(api: Api):
    node = api.enrol(
        "n1", driver_info={"ipmi_password": "hunter2", "api_token": "t0k", "address": "10.0.0.5"}
    )
    assert node["driver_info"] == {
        "ipmi_password": "******",
        "api_token": "******",
        "address": "10.0.0.5",
    }
    for key in (
        "maintenance",
        "maintenance_reason",
        "instance_uuid",
        "power_state",
        "last_error",
        "nics",
        "links",
        "created_at",
        "updated_at",
    ):
        assert key in node
    assert [n["port_type"] for n in node["nics"]] == ["1GE", "10GE"]
    shown = api.admin.get(f"/v1/nodes/{node['uuid']}")
    assert "hunter2" not in shown.text and "t0k" not in shown.text
    by_name = api.admin.get("/v1/nodes/n1").json()
    assert by_name["uuid"] == node["uuid"]
    # A patch that leaves the masked value in place keeps the real secret.
    patched = api.admin.patch(
        f"/v1/nodes/{node['uuid']}",
        [{"op": "replace", "path": "/driver_info/address", "value": "10.0.0.6"}],
    )
    assert patched.status_code == 200
    assert "hunter2" not in patched.text


def test_node_validation_and_conflicts(api: Api):
    api.enrol("n1")
    cases = [
        ({"name": "x", "driver": "nonesuch"}, 400, "nonesuch"),
        ({"name": "x", "driver": "fake", "nics": [{"mac_address": "zz"}]}, 400, "mac_address"),
        ({"name": "n1", "driver": "fake"}, 409, "n1"),
        ({"driver": "fake"}, 400, "name"),
    ]
    for body, status, words in cases:
        response = api.admin.post("/v1/nodes", body)
        assert response.status_code == status, (body, response.text)
        assert words in fault_of(response)["faultstring"]
    assert [n["name"] for n in api.admin.get("/v1/nodes").json()["nodes"]] == ["n1"]


def test_a_node_whose_bmc_does_not_answer_is_never_scheduled(api: Api):
    """The BMC check is the engine's: the node is accepted, found unreachable, and kept in
    ``enroll`` with the reason, out of the scheduler's reach, until verified again."""
    body = {"name": "x", "driver": "fake", "driver_info": {"fake_unreachable": True}}
    created = api.admin.post("/v1/nodes", body)
    assert created.status_code == 201, created.text
    node = api.wait_verified(created.json()["uuid"])
    assert node["provision_state"] == "enroll"
    assert "did not answer" in node["last_error"]
    checks = api.admin.get("/v1/nodes/x/validate").json()
    assert not checks["power"]["result"] and "did not answer" in checks["power"]["reason"]
    assert "⟦" not in str(checks) and "⟦" not in node["last_error"]
    type_, image, network = api.make_type(), api.make_image(), api.make_network()
    server = api.create(type_, image, [{"net_id": network["uuid"]}]).json()
    assert api.wait_status(server["uuid"], "error")["fault"]["message"].startswith("No valid")


def test_verifying_needs_an_operator_and_a_node_mogan_checks(api: Api):
    node = api.enrol("n1")
    assert api.admin.get("/v1/nodes/n1/validate").json()["power"] == {
        "result": True,
        "reason": None,
    }
    for caller in (api.as_(project("tenant-a")), api.as_(project("tenant-a", roles="reader"))):
        assert caller.post("/v1/nodes/n1/verify").status_code == 403
        assert caller.get("/v1/nodes/n1/validate").status_code == 403
        assert caller.get("/v1/nodes/sync").status_code == 403
        assert caller.post("/v1/nodes/sync").status_code == 403
    anonymous = api.http.post("/v1/nodes/n1/verify")
    assert anonymous.status_code == 401
    assert api.admin.post("/v1/nodes/nonesuch/verify").status_code == 404
    again = api.admin.post(f"/v1/nodes/{node['uuid']}/verify")
    assert again.status_code == 202
    assert again.json()["provision_state"] == "available"  # a check moves no node
    # Without a driver with an inventory of its own, there is nothing to sync.
    assert api.admin.post("/v1/nodes/sync").status_code == 409
    assert api.admin.get("/v1/nodes/sync").json() == {"syncs": []}


def test_node_routes_are_admin_only(api: Api):
    node = api.enrol("n1")
    member = api.as_(project("tenant-a"))
    assert member.get("/v1/nodes").status_code == 403
    assert member.get(f"/v1/nodes/{node['uuid']}").status_code == 403
    assert member.post("/v1/nodes", {"name": "x", "driver": "fake"}).status_code == 403
    assert member.delete(f"/v1/nodes/{node['uuid']}").status_code == 403


def test_the_fleet_summary_counts_what_the_lists_would_show_to_operators_only(api: Api, fleet):
    created = api.create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}])
    instance = api.wait_status(created.json()["uuid"], "active")
    free = api.admin.get("/v1/nodes", params={"associated": "false"}).json()["nodes"][0]
    assert api.admin.put(f"/v1/nodes/{free['uuid']}/maintenance").status_code in (202, 204)
    summary = api.admin.get("/v1/nodes/summary").json()
    assert summary["total"] == 4
    by: Counter[tuple[str, bool, bool]] = Counter()
    for g in summary["groups"]:
        by[(g["provision_state"], g["maintenance"], g["associated"])] += g["count"]
    assert by.get(("active", False, True)) == 1
    assert sum(by.values()) == 4 and sum(n for k, n in by.items() if k[1]) == 1
    assert {g["availability_zone"] for g in summary["groups"]} == {"az1", "az2"}
    # The filters a paged overview needs: by name, by instance, by any of some states.
    serving = api.admin.get("/v1/nodes", params={"instance_uuid": instance["uuid"]}).json()
    (node,) = serving["nodes"]
    by_name = api.admin.get("/v1/nodes", params={"name": node["name"]}).json()["nodes"]
    assert [n["uuid"] for n in by_name] == [node["uuid"]]
    states = api.admin.get("/v1/nodes", params={"provision_state": "active,cleaning"}).json()
    assert [n["uuid"] for n in states["nodes"]] == [node["uuid"]]
    for caller in (api.as_(project("tenant-a")), api.as_(project("tenant-a", "reader"))):
        assert caller.get("/v1/nodes/summary").status_code == 403
    assert api.http.get("/v1/nodes/summary").status_code == 401


def test_node_in_use_cannot_be_deleted(api: Api, fleet):
    created = api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}]
    ).json()
    api.wait_status(created["uuid"], "active")
    (node,) = api.admin.get("/v1/nodes", params={"associated": True}).json()["nodes"]
    response = api.admin.delete(f"/v1/nodes/{node['uuid']}")
    assert response.status_code == 409
    assert created["uuid"] in fault_of(response)["faultstring"]
    free = api.admin.get("/v1/nodes", params={"associated": False}).json()["nodes"]
    assert api.admin.delete(f"/v1/nodes/{free[0]['uuid']}").status_code == 204


def test_images(api: Api):
    created = api.admin.post(
        "/v1/images",
        {"name": "deb", "url": "http://x/deb.iso", "checksum": "abc", "disk_format": "iso"},
    )
    assert created.status_code == 201
    image = created.json()
    assert api.get(f"/v1/images/{image['uuid']}").json() == image
    assert (
        api.admin.post("/v1/images", {"name": "x", "url": "u", "disk_format": "vmdk"}).status_code
        == 400
    )
    assert (
        api.post("/v1/images", {"name": "x", "url": "u", "disk_format": "raw"}).status_code == 403
    )
    renamed = api.admin.patch(
        f"/v1/images/{image['uuid']}", [{"op": "replace", "path": "/name", "value": "debian"}]
    )
    assert renamed.json()["name"] == "debian"
    assert api.admin.delete(f"/v1/images/{image['uuid']}").status_code == 204
    assert api.get(f"/v1/images/{image['uuid']}").status_code == 404


@pytest.mark.parametrize(
    "subnet, words",
    [
        ({"cidr": "10.0.0.0/33"}, "cidr"),
        ({"cidr": "10.0.0.1/24"}, "cidr"),
        ({"cidr": "10.0.0.0/24", "gateway_ip": "10.1.0.1"}, "outside"),
        (
            {
                "cidr": "10.0.0.0/24",
                "allocation_pools": [{"start": "10.0.0.20", "end": "10.0.0.10"}],
            },
            "ends before",
        ),
        (
            {"cidr": "10.0.0.0/24", "allocation_pools": [{"start": "10.0.1.2", "end": "10.0.1.9"}]},
            "outside",
        ),
    ],
)
def test_bad_subnets_are_400(api: Api, subnet, words):
    response = api.admin.post("/v1/networks", {"name": "n", "subnets": [subnet]})
    assert response.status_code == 400
    assert words in fault_of(response)["faultstring"]
    assert api.get("/v1/networks").json()["networks"] == []


def test_network_with_pools_and_ipv6(api: Api):
    network = api.admin.post(
        "/v1/networks",
        {
            "name": "dual",
            "subnets": [
                {
                    "cidr": "192.168.5.0/24",
                    "gateway_ip": "192.168.5.1",
                    "allocation_pools": [{"start": "192.168.5.100", "end": "192.168.5.101"}],
                },
                {"cidr": "2001:db8::/64", "gateway_ip": "2001:db8::1"},
            ],
        },
    ).json()
    assert [s["ip_version"] for s in network["subnets"]] == [4, 6]
    api.enrol("a", nics=["1GE"])
    api.enrol("b", nics=["1GE"])
    api.enrol("c", nics=["1GE"])
    type_, image = api.make_type(), api.make_image()
    made = [
        api.create(type_, image, [{"net_id": network["uuid"]}], name=f"i{i}").json()
        for i in range(3)
    ]
    final = [api.wait_for(m["uuid"], lambda i: i["status"] in ("active", "error")) for m in made]
    active = sorted(
        (i for i in final if i["status"] == "active"),
        key=lambda i: next(iter(i["network_info"].values()))["fixed_ips"][0]["ip_address"],
    )
    assert len(active) == 2
    addresses = [
        [ip["ip_address"] for ip in next(iter(i["network_info"].values()))["fixed_ips"]]
        for i in active
    ]
    # The pool's two IPv4 addresses; an IPv6 address each, distinct, never the gateway (the
    # one that found no IPv4 address left may have taken an IPv6 number first: numbers are
    # handed out like a sequence's, and an unused one is skipped).
    assert [a[0] for a in addresses] == ["192.168.5.100", "192.168.5.101"]
    v6 = [ipaddress.ip_address(a[1]) for a in addresses]
    assert len(set(v6)) == 2
    assert all(a in ipaddress.ip_network("2001:db8::/64") and str(a) != "2001:db8::1" for a in v6)
    (exhausted,) = [i for i in final if i["status"] == "error"]
    assert "No free IP address" in exhausted["fault"]["message"]
    assert api.admin.delete(f"/v1/networks/{network['uuid']}").status_code == 409


def test_addresses_are_handed_out_in_turn_and_a_freed_one_waits_for_the_pool_to_come_round(
    api: Api,
):
    network = api.make_network(
        "turns",
        "192.168.7.0/24",
        allocation_pools=[{"start": "192.168.7.10", "end": "192.168.7.12"}],
    )
    for name in ("a", "b", "c"):
        api.enrol(name, nics=["1GE"])
    type_, image = api.make_type(), api.make_image()

    def create(name: str) -> tuple[str, str]:
        made = api.create(type_, image, [{"net_id": network["uuid"]}], name=name).json()
        active = api.wait_status(made["uuid"], "active")
        (port,) = active["network_info"].values()
        return made["uuid"], port["fixed_ips"][0]["ip_address"]

    first, first_address = create("first")
    second, second_address = create("second")
    assert (first_address, second_address) == ("192.168.7.10", "192.168.7.11")
    api.delete(f"/v1/instances/{first}")
    api.wait_gone(first)
    # .10 is free again, but machines may still have it cached for the instance just gone.
    assert create("third")[1] == "192.168.7.12"
    api.delete(f"/v1/instances/{second}")
    api.wait_gone(second)
    assert create("fourth")[1] == "192.168.7.10"  # round again: the oldest free one


def test_version_documents(api: Api):
    root = api.get("/").json()
    assert root["versions"][0]["id"] == "v1"
    assert root["versions"][0]["links"][0]["href"].endswith("/v1/")
    v1 = api.get("/v1").json()
    assert v1["id"] == "v1" and v1["instances"][0]["href"].endswith("/v1/instances/")


def test_openapi_documents_the_admin_api(api: Api):
    document = api.get("/openapi.json").json()
    for path in (
        "/v1/nodes",
        "/v1/images",
        "/v1/networks",
        "/v1/instances",
        "/v1/types/{type_uuid}/extraspecs",
    ):
        assert path in document["paths"]
    assert "NodeCreate" in document["components"]["schemas"]
    body = document["paths"]["/v1/instances"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/InstanceCreate")


def test_pagination_walks_every_item_once(api: Api):
    for i in range(7):
        api.make_image(f"img-{i}")
    for direction in ("asc", "desc"):
        seen: list[str] = []
        url: str | None = f"/v1/images?limit=3&sort_dir={direction}"
        while url:
            page = api.get(url).json()
            seen += [i["name"] for i in page["images"]]
            url = page.get("next")
        expected = [f"img-{i}" for i in range(7)]
        assert seen == (expected if direction == "asc" else expected[::-1])
    assert api.get("/v1/images?sort_key=url").status_code == 400
    assert api.get("/v1/images?limit=0").status_code == 400
    assert api.get("/v1/images?marker=nope").status_code == 400
