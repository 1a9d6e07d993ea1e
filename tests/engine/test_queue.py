"""Leases: claims are compare-and-set, and a claim count fences off stale runs."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from mogan.core.operations import CreateState, OperationStatus
from mogan.db import queue
from mogan.db.database import Database
from mogan.db.models import OPERATIONS, utcnow


@pytest.fixture
def db(database_url: str):
    handle = Database(database_url)
    yield handle
    handle.dispose()


def _queue(db: Database, instance_uuid: str = "i-1") -> int:
    with db.transaction() as tx:
        return queue.enqueue(db, tx, instance_uuid, CreateState())


def _expire(db: Database, operation_id: int) -> None:
    with db.transaction() as tx:
        tx.execute(
            update(OPERATIONS)
            .where(OPERATIONS.c.id == operation_id)
            .values(lease_expires_at=utcnow() - dt.timedelta(seconds=1))
        )


def _claim_one(
    db: Database, owner: str, working_on: set[int] | None = None
) -> queue.ClaimedOperation | None:
    claimed = queue.claim(db, owner, 30, working_on or set())
    assert len(claimed) <= 1
    return claimed[0] if claimed else None


def test_a_stale_run_cannot_record_anything_after_a_reclaim(db: Database):
    operation_id = _queue(db)
    first = _claim_one(db, "engine-a")
    assert first is not None and first.claims == 1
    assert _claim_one(db, "engine-b") is None  # held
    _expire(db, operation_id)
    again = _claim_one(db, "engine-a")  # the same engine, its heartbeat starved
    assert again is not None and again.claims == 2
    with pytest.raises(queue.LeaseLost), db.transaction() as tx:
        queue.save_progress(tx, operation_id, "engine-a", 1, "deploy", {})
    with db.transaction() as tx:
        queue.save_progress(tx, operation_id, "engine-a", 2, "deploy", {})
        queue.finish(tx, operation_id, "engine-a", 2, OperationStatus.SUCCEEDED, {})


def test_an_engine_does_not_reclaim_what_it_is_running(db: Database):
    operation_id = _queue(db)
    claimed = _claim_one(db, "engine-a")
    assert claimed is not None
    _expire(db, operation_id)
    assert _claim_one(db, "engine-a", {operation_id}) is None
    taken = _claim_one(db, "engine-b")  # another engine may take it over
    assert taken is not None and (taken.owner, taken.claims) == ("engine-b", 2)


def test_a_batch_claim_takes_the_oldest_and_keeps_each_instance_in_order(db: Database):
    ids = [_queue(db, instance) for instance in ("i-1", "i-2", "i-1", "i-3", "i-4")]
    claimed = queue.claim(db, "engine-a", 30, limit=3)
    # i-1's second operation waits for its first; the batch moves on to i-3.
    assert [o.id for o in claimed] == [ids[0], ids[1], ids[3]]
    assert all((o.owner, o.status, o.claims) == ("engine-a", "running", 1) for o in claimed)
    rest = queue.claim(db, "engine-b", 30, limit=10)
    assert [o.id for o in rest] == [ids[4]]


def test_renewing_extends_only_the_leases_the_engine_still_holds(db: Database):
    mine, taken_over = _queue(db, "i-1"), _queue(db, "i-2")
    assert [o.id for o in queue.claim(db, "engine-a", 30, limit=2)] == [mine, taken_over]
    _expire(db, taken_over)
    assert _claim_one(db, "engine-b", {mine}) is not None  # engine-b takes i-2 over
    assert queue.renew(db, "engine-a", [mine, taken_over], 600) == {mine}
    with db.read_rows() as connection:
        expiry = {
            row.id: row.lease_expires_at
            for row in connection.execute(select(OPERATIONS.c.id, OPERATIONS.c.lease_expires_at))
        }
    assert expiry[mine] > utcnow() + dt.timedelta(seconds=500)
    assert expiry[taken_over] < utcnow() + dt.timedelta(seconds=60)
