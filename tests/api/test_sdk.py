"""The Python SDK (``mogan.client``) against a real server: typed results, every page of a
list, refusals that carry the fault and the request id, waiting for states."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mogan.client import Client, Instance, MoganAPIError, NotFoundError, WaitFailed
from tests.harness import ThreadedServer

# The SDK speaks only the API, which the rest of tests/api checks on both databases.
pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def server(mogan_factory: Any) -> Iterator[ThreadedServer]:
    mogan = mogan_factory(api__max_limit=2)  # so lists take several pages
    with ThreadedServer(mogan.app) as running:
        yield running


def test_lists_walk_every_page_and_results_are_typed(server: ThreadedServer, fleet: Any):
    admin = Client.noauth(server.url, project_id="admin", roles="admin")
    tenant = Client.noauth(server.url, project_id="team-a", roles="member")
    network = fleet["network"]["uuid"]
    created = [
        tenant.instances.create(
            f"web-{i}",
            instance_type_uuid=fleet["type"]["uuid"],
            image_uuid=fleet["image"]["uuid"],
            networks=[{"net_id": network}],
        )
        for i in range(4)
    ]
    assert all(isinstance(i, Instance) and i.status == "building" for i in created)
    for instance in created:
        active = tenant.instances.wait(instance.uuid, lambda i: i.status == "active", interval=0.05)
        assert active is not None and active.ip_addresses
    listed = tenant.instances.list()  # 4 instances, 2 per page
    assert sorted(i.name for i in listed) == ["web-0", "web-1", "web-2", "web-3"]
    assert len(admin.nodes.list()) == 4
    assert tenant.instances.find("web-2").uuid == created[2].uuid
    assert sorted(admin.availability_zones()) == ["az1", "az2"]


def test_refusals_carry_the_fault_and_the_request_id(server: ThreadedServer, fleet: Any):
    tenant = Client.noauth(server.url, project_id="team-a", roles="member")
    with pytest.raises(MoganAPIError) as refused:
        tenant.types.create({"name": "mine"})
    assert refused.value.status == 403
    assert "Policy does not allow" in refused.value.fault
    assert refused.value.request_id and refused.value.request_id.startswith("req-")
    with pytest.raises(NotFoundError):
        tenant.instances.get("8a3d5ad0-2a5c-4c3f-9f0b-0b6f4d9b7e11")


def test_waiting_for_an_instance_that_fails_says_why(server: ThreadedServer, fleet: Any):
    tenant = Client.noauth(server.url, project_id="team-a", roles="member")
    admin = Client.noauth(server.url, project_id="admin", roles="admin")
    for node in admin.nodes.list():
        admin.nodes.update(node.uuid, [{"op": "replace", "path": "/maintenance", "value": True}])
    instance = tenant.instances.create(
        "nowhere",
        instance_type_uuid=fleet["type"]["uuid"],
        image_uuid=fleet["image"]["uuid"],
        networks=[{"net_id": fleet["network"]["uuid"]}],
    )
    with pytest.raises(WaitFailed) as failed:
        tenant.instances.wait(instance.uuid, lambda i: i.status == "active", interval=0.05)
    assert "No valid node" in str(failed.value)
    assert failed.value.instance is not None and failed.value.instance.status == "error"


def test_tags_rebuild_and_the_history_of_an_instance(server: ThreadedServer, fleet: Any):
    tenant = Client.noauth(server.url, project_id="team-a", roles="member")
    created = tenant.instances.create(
        "db",
        instance_type_uuid=fleet["type"]["uuid"],
        image_uuid=fleet["image"]["uuid"],
        networks=[{"net_id": fleet["network"]["uuid"]}],
        tags=["db"],
    )
    assert created.request_id and created.request_id.startswith("req-")
    steps: list[str] = []
    tenant.instances.wait(
        created.uuid,
        lambda i: i.status == "active",
        interval=0.05,
        request_id=created.request_id,
        on_event=lambda e: steps.append(f"{e.event} {e.result}"),
    )
    assert steps == ["schedule success", "network success", "deploy success"]

    tenant.instances.add_tag(created.uuid, "eu west")  # quoted in the path
    assert tenant.instances.tags(created.uuid) == ["db", "eu west"]
    tenant.instances.remove_tag(created.uuid, "db")
    assert tenant.instances.set_tags(created.uuid, ["a", "b"]) == ["a", "b"]
    assert tenant.instances.get(created.uuid).tags == ("a", "b")

    asked = tenant.instances.rebuild(created.uuid, preserve_ephemeral=True)
    tenant.instances.wait(created.uuid, lambda i: i.status == "active", interval=0.05)
    history = tenant.instances.actions(created.uuid)
    assert [(a.action, a.request_id) for a in history] == [
        ("rebuild", asked),
        ("create", created.request_id),
    ]
    rebuild = tenant.instances.action(created.uuid, str(asked))
    assert rebuild.result == "success" and [e.event for e in rebuild.events] == ["rebuild"]
    with pytest.raises(NotFoundError):
        tenant.instances.action(created.uuid, "req-none")


def test_quota_usage_without_a_project_is_the_callers_own(mogan):
    with ThreadedServer(mogan.app) as server:
        tenant = Client.noauth(server.url, project_id="team-a", roles="member")
        assert tenant.quotas.usage() == tenant.quotas.usage("team-a")
        assert tenant.quotas.usage()["instances"]["in_use"] == 0
