"""Claiming operations and holding their leases.

A claim is a compare-and-set: an operation is claimable when it is ``pending``, or
``running`` with an expired lease (its engine died). Operations of one instance run in order:
one is claimable only when no older unfinished operation of the same instance exists.
On PostgreSQL the candidate row is locked with ``FOR UPDATE SKIP LOCKED`` so engines never
queue behind each other; on SQLite writers are serialized by ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import DateTime, Integer, String, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from mogan.db.database import Database, affected
from mogan.db.models import Operation, utcnow

PENDING = "pending"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
UNFINISHED = (PENDING, RUNNING)


class LeaseLost(Exception):
    """Another engine took this operation over; stop working on it at once."""


def _claimable(now: Any, operation: Any) -> Any:
    older = aliased(Operation)
    blocked = exists().where(
        older.instance_uuid == operation.instance_uuid,
        older.id < operation.id,
        older.status.in_(UNFINISHED),
    )
    return and_(
        or_(
            operation.status == PENDING,
            and_(operation.status == RUNNING, operation.lease_expires_at < now),
        ),
        ~blocked,
    )


def _claim_statement(skip_locked: bool) -> Any:
    """``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING …``, built
    once: the dispatcher runs it on every wake-up, and building it cost as much as running it.
    Parameters: ``now``, ``expires``, ``owner``, ``busy`` (a list), ``limit``."""
    now = bindparam("now", type_=DateTime)
    candidate = aliased(Operation)
    chosen = (
        select(candidate.id)
        .where(_claimable(now, candidate))
        .where(candidate.id.not_in(bindparam("busy", expanding=True)))
        .order_by(candidate.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if skip_locked:
        chosen = chosen.with_for_update(skip_locked=True, of=candidate)
    return (
        update(Operation)
        .where(Operation.id.in_(chosen.scalar_subquery()))
        .values(
            status=RUNNING,
            owner=bindparam("owner", type_=String),
            claims=Operation.claims + 1,
            lease_expires_at=bindparam("expires", type_=DateTime),
        )
        .returning(Operation)
        .execution_options(synchronize_session=False)
    )


#: On PostgreSQL rows are locked as chosen; SQLite has no row locks (``BEGIN IMMEDIATE``
#: serializes its writers instead).
_CLAIM_SKIP_LOCKED = _claim_statement(skip_locked=True)
_CLAIM_SERIALIZED = _claim_statement(skip_locked=False)


def claim(
    db: Database,
    owner: str,
    lease_seconds: float,
    working_on: Iterable[int] = (),
    limit: int = 1,
) -> list[Operation]:
    """Claim up to ``limit`` of the oldest claimable operations for ``owner``, oldest first.

    One statement. The rows are locked as they are chosen (PostgreSQL re-checks them against
    the claimable condition once locked), so two engines never claim the same operation and
    neither waits for the other. ``working_on`` are operations this engine is running: even if
    their lease ran out (a starved heartbeat), they are not claimed again here while the first
    run goes on.
    """
    now = utcnow()
    with db.write() as session:
        claimed = session.scalars(
            _CLAIM_SERIALIZED if db.is_sqlite else _CLAIM_SKIP_LOCKED,
            {
                "now": now,
                "expires": now + dt.timedelta(seconds=lease_seconds),
                "owner": owner,
                "busy": list(working_on),
                "limit": limit,
            },
        ).all()
    return sorted(claimed, key=lambda operation: operation.id)


def next_expiry(db: Database, working_on: Iterable[int]) -> dt.datetime | None:
    """When the first lease not being worked on here runs out: the moment a takeover may be
    due (another engine died, or this one had to drop an operation during an outage).

    Lease expiry announces itself to nobody, so the dispatcher sleeps no longer than this.
    """
    query = select(func.min(Operation.lease_expires_at)).where(Operation.status == RUNNING)
    ids = list(working_on)
    if ids:
        query = query.where(Operation.id.not_in(ids))
    with db.read() as session:
        expiry: dt.datetime | None = session.scalar(query)
        return expiry


def renew(db: Database, owner: str, operation_ids: Iterable[int], lease_seconds: float) -> set[int]:
    """Extend the leases ``owner`` still holds; returns the ids it still holds."""
    ids = list(operation_ids)
    if not ids:
        return set()
    with db.write() as session:
        session.execute(
            update(Operation)
            .where(Operation.id.in_(ids), Operation.owner == owner, Operation.status == RUNNING)
            .values(lease_expires_at=utcnow() + dt.timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        return set(
            session.scalars(
                select(Operation.id).where(
                    Operation.id.in_(ids), Operation.owner == owner, Operation.status == RUNNING
                )
            )
        )


def guard(operation_id: int, owner: str, claim: int) -> Any:
    """The WHERE clause that holds only while this very claim still holds the operation.

    ``claim`` (the operation's claim count when it was claimed) is a fencing token: if the
    lease ran out and the operation was claimed again — by another engine or by this one —
    the count moved on, and the older run can no longer record anything.
    """
    return and_(
        Operation.id == operation_id,
        Operation.owner == owner,
        Operation.claims == claim,
        Operation.status == RUNNING,
    )


def save_progress(
    session: Any, operation_id: int, owner: str, claim: int, step: str, state: dict[str, Any]
) -> None:
    """Record the step reached, inside the caller's transaction; ``LeaseLost`` if taken over."""
    moved = affected(
        session.execute(
            update(Operation)
            .where(guard(operation_id, owner, claim))
            .values(step=step, state=state)
            .execution_options(synchronize_session=False)
        )
    )
    if not moved:
        raise LeaseLost(f"operation {operation_id} is no longer held by {owner}")


def finish(
    session: Any, operation_id: int, owner: str, claim: int, status: str, state: dict[str, Any]
) -> None:
    """End the operation with ``status``, inside the caller's transaction."""
    moved = affected(
        session.execute(
            update(Operation)
            .where(guard(operation_id, owner, claim))
            .values(status=status, state=state, finished_at=utcnow(), lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
    )
    if not moved:
        raise LeaseLost(f"operation {operation_id} is no longer held by {owner}")
