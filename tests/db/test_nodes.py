"""A node's provision state moves only as the lifecycle table allows, releases included."""

from __future__ import annotations

import uuid as uuid_module

import pytest
import sqlalchemy as sa

from mogan.core import lifecycle
from mogan.core.placement import TypeRequirements
from mogan.db import scheduler
from mogan.db.database import Database


@pytest.fixture
def db(database_url: str):
    handle = Database(database_url)
    yield handle
    handle.dispose()


def _serving(db: Database, state: str) -> tuple[str, str]:
    node, instance = str(uuid_module.uuid4()), str(uuid_module.uuid4())
    with db.transaction() as tx:
        tx.execute(
            sa.text(
                "INSERT INTO nodes (uuid, name, driver, driver_info, properties, maintenance, "
                "nic_count, provision_state, instance_uuid, created_at) VALUES (:u, :u, 'fake', "
                "'{}', '{}', false, 0, :s, :i, CURRENT_TIMESTAMP)"
            ),
            {"u": node, "s": state, "i": instance},
        )
    return node, instance


def _state(db: Database, node: str) -> tuple[str, str | None]:
    with db.read_rows() as connection:
        row = connection.execute(
            sa.text("SELECT provision_state, instance_uuid FROM nodes WHERE uuid = :u"), {"u": node}
        ).one()
    return row[0], row[1]


def test_a_failed_tear_down_moves_an_active_node_to_clean_failed(db: Database):
    node, instance = _serving(db, lifecycle.ACTIVE)
    with db.transaction() as tx:
        scheduler.release(tx, node, instance, provision_state=lifecycle.CLEAN_FAILED)
    assert _state(db, node) == (lifecycle.CLEAN_FAILED, None)


def test_a_release_the_table_forbids_raises_and_changes_nothing(db: Database):
    node, instance = _serving(db, lifecycle.INSPECTING)
    with pytest.raises(lifecycle.IllegalNodeTransition), db.transaction() as tx:
        scheduler.release(tx, node, instance, provision_state=lifecycle.CLEAN_FAILED)
    assert _state(db, node) == (lifecycle.INSPECTING, instance)


def test_a_node_serving_another_instance_is_left_alone(db: Database):
    node, _ = _serving(db, lifecycle.ACTIVE)
    with db.transaction() as tx:
        scheduler.release(tx, node, str(uuid_module.uuid4()), provision_state=lifecycle.CLEANING)
    assert _state(db, node)[0] == lifecycle.ACTIVE


def _available(db: Database, properties: str) -> str:
    node = str(uuid_module.uuid4())
    with db.transaction() as tx:
        tx.execute(
            sa.text(
                "INSERT INTO nodes (uuid, name, driver, driver_info, properties, maintenance, "
                "nic_count, provision_state, created_at) VALUES (:u, :u, 'fake', '{}', :p, "
                "false, 0, 'available', CURRENT_TIMESTAMP)"
            ),
            {"u": node, "p": properties},
        )
    return node


def test_an_images_minimums_are_met_by_the_node_claimed_or_by_none(db: Database):
    """An image's ``min_ram``/``min_disk`` against the nodes' ``memory_mb``/``local_gb``, in
    SQL on both databases (a node that does not say has none)."""
    _available(db, "{}")
    _available(db, '{"memory_mb": 2048, "local_gb": 4000}')
    big = _available(db, '{"memory_mb": 65536, "local_gb": 500}')
    wanted = scheduler.Request(
        requirements=TypeRequirements.from_extra_specs({}),
        networks=[],
        availability_zone=None,
        exclude=[],
        drivers=["fake"],
        min_ram=4096,
        min_disk=100,
    )
    with db.transaction() as tx:
        assert scheduler.any_large_enough(tx, ["fake"], None, 4096, 100)
        assert not scheduler.any_large_enough(tx, ["fake"], None, 4096, 1000)
        assert not scheduler.any_large_enough(tx, ["fake"], "CUSTOM_GOLD", 0, 0)
        claimed = scheduler.claim_best(tx, wanted, str(uuid_module.uuid4()))
        assert claimed is not None and claimed.node.uuid == big
        assert scheduler.claim_best(tx, wanted, str(uuid_module.uuid4())) is None
