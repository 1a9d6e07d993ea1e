"""Instance status changes go through the transition table, as compare-and-sets."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from mogan.core import states
from mogan.core.states import IllegalTransition
from mogan.db import instances
from mogan.db.database import Database
from mogan.db.models import INSTANCES
from mogan.db.records import InstanceRow
from mogan.services.create import building_instance


@pytest.fixture
def db(database_url: str):
    handle = Database(database_url)
    yield handle
    handle.dispose()


def _new() -> InstanceRow:
    return building_instance(
        name="web",
        description=None,
        project_id="p",
        user_id="u",
        instance_type_uuid="t",
        image_uuid="i",
        availability_zone=None,
        extra={},
    )


def _instance(db: Database, status: str) -> str:
    row = _new()
    with db.transaction() as tx:
        instances.add(tx, row)
        if status != states.INITIAL:
            tx.execute(update(INSTANCES).where(INSTANCES.c.uuid == row.uuid).values(status=status))
    return row.uuid


def _status(db: Database, uuid: str) -> str:
    found = instances.get(db, uuid)
    assert found is not None
    return found.status


def test_an_allowed_move_is_a_compare_and_set(db: Database):
    uuid = _instance(db, states.BUILDING)
    with db.transaction() as connection:
        assert instances.move(connection, uuid, states.BUILDING, status=states.ACTIVE)
    # Expected the old status: someone moved it on, so this one does nothing.
    with db.transaction() as connection:
        assert not instances.move(connection, uuid, states.BUILDING, status=states.ERROR)
    assert _status(db, uuid) == states.ACTIVE


@pytest.mark.parametrize(
    "current, new",
    [(states.ERROR, states.ACTIVE), (states.ACTIVE, states.BUILDING), (states.DELETING, "active")],
)
def test_a_move_the_table_forbids_raises_and_changes_nothing(db: Database, current, new):
    uuid = _instance(db, current)
    with pytest.raises(IllegalTransition), db.transaction() as connection:
        instances.move(connection, uuid, current, status=new)
    assert _status(db, uuid) == current


def test_every_expected_status_must_allow_the_move(db: Database):
    uuid = _instance(db, states.BUILDING)
    with pytest.raises(IllegalTransition), db.transaction() as connection:
        instances.move(connection, uuid, (states.BUILDING, states.ERROR), status=states.ACTIVE)
    assert _status(db, uuid) == states.BUILDING


def test_an_instance_starts_building():
    with pytest.raises(IllegalTransition):
        instances.add(None, _new()._replace(status=states.ACTIVE))  # type: ignore[arg-type]
