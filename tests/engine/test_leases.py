"""Leases: claims are compare-and-set, and a claim count fences off stale runs."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from mogan.db.database import Database
from mogan.db.models import Operation, utcnow
from mogan.engine import leases


@pytest.fixture
def db(database_url: str):
    handle = Database(database_url)
    yield handle
    handle.dispose()


def _queue(db: Database) -> int:
    with db.write() as session:
        operation = Operation(instance_uuid="i-1", kind="create", step="schedule", state={})
        session.add(operation)
        session.flush()
        return operation.id


def _expire(db: Database, operation_id: int) -> None:
    with db.write() as session:
        session.execute(
            update(Operation)
            .where(Operation.id == operation_id)
            .values(lease_expires_at=utcnow() - dt.timedelta(seconds=1))
        )


def test_a_stale_run_cannot_record_anything_after_a_reclaim(db: Database):
    operation_id = _queue(db)
    first = leases.claim_next(db, "engine-a", 30)
    assert first is not None and first.claims == 1
    assert leases.claim_next(db, "engine-b", 30) is None  # held
    _expire(db, operation_id)
    again = leases.claim_next(db, "engine-a", 30)  # the same engine, its heartbeat starved
    assert again is not None and again.claims == 2
    with pytest.raises(leases.LeaseLost), db.write() as session:
        leases.save_progress(session, operation_id, "engine-a", 1, "deploy", {})
    with db.write() as session:
        leases.save_progress(session, operation_id, "engine-a", 2, "deploy", {})
        leases.finish(session, operation_id, "engine-a", 2, leases.SUCCEEDED, {})


def test_an_engine_does_not_reclaim_what_it_is_running(db: Database):
    operation_id = _queue(db)
    claimed = leases.claim_next(db, "engine-a", 30)
    assert claimed is not None
    _expire(db, operation_id)
    assert leases.claim_next(db, "engine-a", 30, working_on={operation_id}) is None
    taken = leases.claim_next(db, "engine-b", 30)  # another engine may take it over
    assert taken is not None and (taken.owner, taken.claims) == ("engine-b", 2)
