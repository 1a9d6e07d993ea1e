"""Instance use cases end to end, without HTTP: what a tenant and an operator would notice."""

from __future__ import annotations

import pytest

from mogan.api import views
from mogan.core.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from mogan.core.pagination import PageRequest
from tests.services.conftest import ADMIN, Cloud, member

TENANT = member("tenant-a")
OTHER = member("tenant-b")
READER = member("tenant-a", ("reader",))


def _active(cloud: Cloud, context=TENANT) -> str:
    uuid = cloud.create(context)
    assert cloud.settle() == 1
    assert cloud.services.instances.get(context, uuid).instance.status == "active"
    return uuid


def test_a_created_instance_is_building_then_active_on_a_node_with_an_address(cloud: Cloud):
    uuid = cloud.create(TENANT)
    record = cloud.services.instances.get(TENANT, uuid)
    assert (record.instance.status, record.instance.node_uuid) == ("building", None)
    cloud.settle()
    shown = views.instance(cloud.services.instances.get(TENANT, uuid), "http://mogan")
    assert shown["status"] == "active"
    assert shown["power_state"] == "power on"
    (port,) = shown["network_info"].values()
    assert port["fixed_ips"][0]["ip_address"] == "10.0.0.2"
    (node,), _ = cloud.services.nodes.list(ADMIN, PageRequest(), {})
    assert node.node.instance_uuid == uuid


def test_no_free_node_ends_in_error_with_a_fault_that_says_why(cloud: Cloud):
    _active(cloud)
    second = cloud.create(TENANT, name="web-2")
    cloud.settle()
    record = cloud.services.instances.get(TENANT, second)
    assert record.instance.status == "error"
    assert record.fault is not None and "No valid node" in record.fault.message
    assert "No valid node" in views.instance(record, "http://mogan")["fault"]["message"]


def test_another_project_never_sees_or_touches_an_instance(cloud: Cloud):
    uuid = _active(cloud)
    instances = cloud.services.instances
    for call in (
        lambda: instances.get(OTHER, uuid),
        lambda: instances.get_states(OTHER, uuid),
        lambda: instances.update(OTHER, uuid, [{"op": "replace", "path": "/name", "value": "x"}]),
        lambda: instances.set_power_state(OTHER, uuid, "off"),
        lambda: instances.delete(OTHER, uuid),
    ):
        with pytest.raises(NotFound):
            call()
    listed, _ = instances.list(OTHER, all_tenants=False, page=PageRequest(), filters={})
    assert listed == []
    with pytest.raises(NotAuthorized):
        instances.list(OTHER, all_tenants=True, page=PageRequest(), filters={})
    assert cloud.settle() == 0  # nothing was queued
    assert instances.get(TENANT, uuid).instance.name == "web"


def test_a_reader_reads_and_may_not_change(cloud: Cloud):
    uuid = _active(cloud)
    instances = cloud.services.instances
    assert instances.get(READER, uuid).instance.uuid == uuid
    with pytest.raises(NotAuthorized):
        instances.set_power_state(READER, uuid, "off")
    with pytest.raises(NotAuthorized):
        instances.delete(READER, uuid)
    with pytest.raises(NotAuthorized):
        cloud.create(READER)


def test_power_off_then_soft_actions_are_refused_until_it_is_on(cloud: Cloud):
    uuid = _active(cloud)
    instances = cloud.services.instances
    instances.set_power_state(TENANT, uuid, "off")
    assert instances.get_states(TENANT, uuid).target_power_state == "power off"
    with pytest.raises(Conflict, match="pending"):
        instances.set_power_state(TENANT, uuid, "on")
    cloud.settle()
    states = instances.get_states(TENANT, uuid)
    assert (states.power_state, states.target_power_state) == ("power off", None)
    for soft in ("soft_off", "soft_reboot"):
        with pytest.raises(Conflict, match="powered off"):
            instances.set_power_state(TENANT, uuid, soft)
    with pytest.raises(InvalidInput):
        instances.set_power_state(TENANT, uuid, "explode")
    instances.set_power_state(TENANT, uuid, "reboot")
    cloud.settle()
    assert instances.get_states(TENANT, uuid).power_state == "power on"


def test_delete_tears_down_frees_the_node_and_the_address(cloud: Cloud):
    uuid = _active(cloud)
    cloud.services.instances.delete(TENANT, uuid)
    cloud.services.instances.delete(TENANT, uuid)  # repeating it is harmless
    assert cloud.services.instances.get(TENANT, uuid).instance.status == "deleting"
    cloud.settle()
    with pytest.raises(NotFound):
        cloud.services.instances.get(TENANT, uuid)
    assert cloud.services.networks.list_ports(ADMIN, cloud.network_uuid) == []
    # The node serves the next tenant, which gets the next address in turn.
    again = _active(cloud, OTHER)
    (port,) = cloud.services.instances.get(OTHER, again).instance.network_info.values()
    assert port["fixed_ips"][0]["ip_address"] == "10.0.0.3"


def test_a_failed_deploy_is_undone_and_tried_on_another_node(cloud: Cloud):
    cloud.services.nodes.update(
        ADMIN,
        "node-1",
        [{"op": "add", "path": "/driver_info/fake_fail_deploy", "value": True}],
    )
    cloud.enrol("node-2", nics=2)  # ranked after node-1, which is tried first
    uuid = cloud.create(TENANT)
    cloud.settle()
    record = cloud.services.instances.get(TENANT, uuid)
    assert record.instance.status == "active"
    nodes = {n.node.name: n.node for n in cloud.services.nodes.list(ADMIN, PageRequest(), {})[0]}
    assert nodes["node-2"].instance_uuid == uuid
    assert nodes["node-1"].instance_uuid is None and not nodes["node-1"].maintenance
    assert "deploy" in (nodes["node-1"].last_error or "").lower()
