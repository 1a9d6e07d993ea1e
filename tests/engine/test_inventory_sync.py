"""The Ironic inventory sync's first look at a fleet: new nodes are added a batch at a time,
and a node that conflicts with one Mogan has is skipped alone, the rest of its batch added."""

from __future__ import annotations

import uuid as uuid_module

from mogan.core.clock import utcnow
from mogan.db import nodes, traits
from mogan.db.database import Database
from mogan.db.records import NicRow, NodeRow
from mogan.drivers.base import InventoryNode, InventoryPort
from mogan.drivers.registry import DriverRegistry
from mogan.engine import inventory
from mogan.engine.inventory import sync_inventory
from tests.inventory import Listing, ListingDriver, available_node


def _node(index: int, mac: str | None = None) -> InventoryNode:
    port = InventoryPort(str(uuid_module.uuid4()), mac or f"52:54:00:00:01:{index:02x}", None)
    return available_node(f"ironic-{index}", (port,), ("CUSTOM_GOLD", "CUSTOM_RAID10"), cpus=8)


def _fake_node(db: Database, name: str, mac: str) -> None:
    """A node of Mogan's own (the fake driver) holding ``name`` and ``mac``."""
    uuid = str(uuid_module.uuid4())
    blank = dict.fromkeys(NodeRow._fields)
    row = NodeRow(
        **{
            **blank,
            "uuid": uuid,
            "name": name,
            "driver": "fake",
            "driver_info": {},
            "properties": {},
            "maintenance": False,
            "provision_state": "available",
            "created_at": utcnow(),
        }
    )
    with db.transaction() as tx:
        nodes.add(tx, row, [NicRow(str(uuid_module.uuid4()), uuid, mac, None)])


def test_new_nodes_are_added_in_batches_and_a_conflict_is_skipped_alone(
    database_url: str, monkeypatch
):
    monkeypatch.setattr(inventory, "BATCH", 3)
    db = Database(database_url)
    try:
        _fake_node(db, "ironic-1", "52:54:00:00:99:99")  # holds a name Ironic uses
        _fake_node(db, "mine", "52:54:00:00:88:88")
        listed = [_node(i) for i in range(7)]
        listed[4] = _node(4, mac="52:54:00:00:88:88")  # a MAC Mogan's own node has
        drivers = DriverRegistry({"ironic": lambda: ListingDriver(Listing(listed))})
        result = sync_inventory(db, drivers)

        conflicting = listed[4].uuid
        assert sorted(result.added) == sorted(n.uuid for n in listed if n.uuid != conflicting)
        assert list(result.skipped) == [conflicting]
        mirrored = nodes.NODES.get_many(db, [n.uuid for n in listed])
        assert conflicting not in mirrored
        # A name another driver's node holds is replaced by the uuid; the rest keep Ironic's.
        assert mirrored[listed[1].uuid].name == listed[1].uuid
        assert mirrored[listed[0].uuid].name == "ironic-0"
        nics = nodes.nics_of(db, list(mirrored))
        for node in listed:
            if node.uuid != conflicting:
                assert [n.mac_address for n in nics[node.uuid]] == [node.ports[0].mac_address]
                assert mirrored[node.uuid].nic_count == 1
        for node_traits in traits.of_nodes(db, list(mirrored)).values():
            assert node_traits == ["CUSTOM_GOLD", "CUSTOM_RAID10"]

        # The next sync finds everything as Ironic says it: nothing added, nothing written.
        again = sync_inventory(db, drivers)
        assert again.added == [] and again.updated == []
        assert list(again.skipped) == [conflicting]
    finally:
        db.dispose()
