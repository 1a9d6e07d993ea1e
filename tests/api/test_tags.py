"""Tags, as a tenant uses them: label instances, find them by label, and nobody else's."""

from __future__ import annotations

from typing import Any

from tests.harness import Api, fault_of, project


def _instance(api: Api, fleet: dict[str, Any], **extra: Any) -> str:
    created = api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], **extra
    )
    assert created.status_code == 201, created.text
    return str(created.json()["uuid"])


def _names(api: Api, query: str) -> set[str]:
    response = api.get(f"/v1/instances?{query}")
    assert response.status_code == 200, response.text
    return {i["name"] for i in response.json()["instances"]}


def test_tags_given_at_create_added_replaced_and_removed(api: Api, fleet):
    uuid = _instance(api, fleet, tags=["web", "prod", "web"])
    assert api.get(f"/v1/instances/{uuid}").json()["tags"] == ["prod", "web"]
    tags = f"/v1/instances/{uuid}/tags"
    assert api.get(tags).json() == {"tags": ["prod", "web"]}

    added = api.put(f"{tags}/eu-west")
    assert added.status_code == 201
    assert added.headers["Location"].endswith(f"/v1/instances/{uuid}/tags/eu-west")
    assert api.put(f"{tags}/eu-west").status_code == 204  # had it already
    assert api.get(f"{tags}/eu-west").status_code == 204
    assert api.get(f"{tags}/staging").status_code == 404

    assert api.delete(f"{tags}/prod").status_code == 204
    assert api.delete(f"{tags}/prod").status_code == 404
    assert api.get(tags).json() == {"tags": ["eu-west", "web"]}

    replaced = api.put(tags, {"tags": ["b", "a", "a"]})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == {"tags": ["a", "b"]}
    assert api.get(f"/v1/instances/{uuid}").json()["tags"] == ["a", "b"]
    assert api.delete(tags).status_code == 204
    assert api.get(tags).json() == {"tags": []}


def test_list_filters_as_novas(api: Api, fleet):
    for name, tags in (("ab", ["a", "b"]), ("a", ["a"]), ("bc", ["b", "c"]), ("none", [])):
        _instance(api, fleet, name=name, tags=tags)
    assert _names(api, "tags=a") == {"ab", "a"}
    assert _names(api, "tags=a,b") == {"ab"}
    assert _names(api, "tags-any=a,c") == {"ab", "a", "bc"}
    assert _names(api, "not-tags=a,b") == {"a", "bc", "none"}
    assert _names(api, "not-tags-any=a,c") == {"none"}
    assert _names(api, "tags=b&not-tags-any=c") == {"ab"}
    assert api.get("/v1/instances?tags=").status_code == 400
    # Another project's instances with the same tags never show up, even for all_tenants=0.
    _instance(api.as_(project("tenant-b")), fleet, name="theirs", tags=["a"])
    assert _names(api, "tags=a") == {"ab", "a"}
    assert {"ab", "a", "theirs"} <= _names(api.admin, "all_tenants=1&tags=a")


def test_a_list_of_one_tag_pages_in_the_lists_order(api: Api, fleet):
    """One tag is listed by walking the tag's rows in the list's order: pages, markers, both
    directions and the other filters give what the unfiltered list gives, less the
    untagged; a tag added after create and one taken off count as they are now."""
    made = [_instance(api, fleet, name=f"i{n}", tags=["blue"] if n % 2 else []) for n in range(7)]
    assert api.put(f"/v1/instances/{made[0]}/tags/blue").status_code == 201
    assert api.delete(f"/v1/instances/{made[3]}/tags/blue").status_code == 204
    blue = {made[n] for n in (0, 1, 5)}

    def walk(query: str) -> list[str]:
        seen, marker = [], ""
        while True:
            page = api.get(f"/v1/instances?{query}&limit=2{marker}").json()
            seen += [i["uuid"] for i in page["instances"]]
            if "next" not in page:
                return seen
            marker = f"&marker={seen[-1]}"

    for direction in ("desc", "asc"):
        everything = walk(f"sort_dir={direction}")
        wanted = [uuid for uuid in everything if uuid in blue]
        assert len(wanted) == 3
        assert walk(f"tags=blue&sort_dir={direction}") == wanted
        assert walk(f"tags-any=blue,blue&sort_dir={direction}") == wanted
        assert walk(f"tags=blue&sort_key=created_at&sort_dir={direction}") == wanted
    assert walk("tags=blue&sort_key=name&sort_dir=asc") == [made[0], made[1], made[5]]
    assert walk("tags=blue&not-tags=red") == walk("tags=blue")
    assert walk("tags=blue&tags-any=blue") == walk("tags=blue")
    assert walk("tags=blue&name=i5") == [made[5]]
    # An untagged instance as the marker is still a place in the order.
    newest_first = walk("sort_dir=desc")
    after = newest_first[newest_first.index(made[3]) + 1 :]
    query = f"tags=blue&sort_dir=desc&marker={made[3]}"
    page = api.get(f"/v1/instances?{query}").json()["instances"]
    assert [i["uuid"] for i in page] == [uuid for uuid in after if uuid in blue]


def test_limits_and_bad_tags_change_nothing(api: Api, fleet):
    uuid = _instance(api, fleet, tags=["keep"])
    tags = f"/v1/instances/{uuid}/tags"
    for body in (
        {"tags": ["x" * 61]},
        {"tags": ["a,b"]},
        {"tags": [""]},
        {"tags": [f"t{i}" for i in range(51)]},
        {"tags": "a"},
        {},
    ):
        response = api.put(tags, body)
        assert response.status_code == 400, (body, response.text)
    assert api.put(f"{tags}/{'x' * 61}").status_code == 400
    assert api.put(f"{tags}/a,b").status_code == 400
    assert api.get(tags).json() == {"tags": ["keep"]}

    assert api.put(tags, {"tags": [f"t{i}" for i in range(50)]}).status_code == 200
    full = api.put(f"{tags}/one-more")
    assert full.status_code == 400
    assert "50 tags" in fault_of(full)["faultstring"]
    assert len(api.get(tags).json()["tags"]) == 50
    refused = api.create(
        fleet["type"],
        fleet["image"],
        [{"net_id": fleet["network"]["uuid"]}],
        tags=[f"t{i}" for i in range(51)],
    )
    assert refused.status_code == 400


def test_readers_strangers_and_anonymous(api: Api, fleet):
    uuid = _instance(api, fleet, tags=["mine"])
    tags = f"/v1/instances/{uuid}/tags"
    reader = api.as_(project("tenant-a", "reader"))
    assert reader.get(tags).json() == {"tags": ["mine"]}
    assert reader.get(f"{tags}/mine").status_code == 204
    # A reader is refused before any look at what it sent.
    assert reader.put(tags, {"tags": ["x"]}).status_code == 403
    assert reader.put(tags, {"tags": "not a list"}).status_code == 403
    assert reader.put(f"{tags}/x").status_code == 403
    assert reader.put(f"{tags}/a,b").status_code == 403
    assert reader.delete(f"{tags}/mine").status_code == 403
    assert reader.delete(tags).status_code == 403

    stranger = api.as_(project("tenant-b"))
    for response in (
        stranger.get(tags),
        stranger.get(f"{tags}/mine"),
        stranger.put(tags, {"tags": ["x"]}),
        stranger.put(f"{tags}/x"),
        stranger.delete(f"{tags}/mine"),
        stranger.delete(tags),
    ):
        assert response.status_code == 404, response.text
    assert _names(stranger, "tags=mine") == set()

    anonymous = Api(api.http, {"X-Roles": "member"})
    assert anonymous.get(tags).status_code == 400  # no project: noauth refuses the caller
    assert anonymous.put(f"{tags}/x").status_code == 400
    assert api.get(tags).json() == {"tags": ["mine"]}

    assert api.admin.put(f"{tags}/audited").status_code == 201
    assert api.get(tags).json() == {"tags": ["audited", "mine"]}
