"""The operations queue: enqueueing, claiming, holding leases and recording progress.

A claim is a compare-and-set: an operation is claimable when it is ``pending``, or
``running`` with an expired lease (its engine died). Operations of one instance run in order:
one is claimable only when no older unfinished operation of the same subject exists.
On PostgreSQL the candidate row is locked with ``FOR UPDATE SKIP LOCKED`` so engines never
queue behind each other; on SQLite writers are serialized by ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row

from mogan.core.operations import (
    SUBJECTS,
    UNFINISHED,
    OperationKind,
    OperationState,
    OperationStatus,
    Step,
    SubjectKind,
    first_step,
    load_state,
)
from mogan.db.database import OPERATIONS_CHANNEL, Database, Executor, affected
from mogan.db.models import OPERATIONS, utcnow

PENDING = OperationStatus.PENDING
RUNNING = OperationStatus.RUNNING


LOG = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another engine took this operation over; stop working on it at once."""


_ENQUEUE = insert(OPERATIONS)


def enqueue(db: Database, executor: Executor, subject_uuid: str, state: OperationState) -> int:
    """Queue an operation of ``state.kind`` on its subject (an instance, a node… as
    ``SUBJECTS`` says), at its first step, in the caller's transaction, and return its id;
    engines are woken when (and only if) that transaction commits."""
    result = executor.execute(
        _ENQUEUE,
        {
            "subject_kind": SUBJECTS[state.kind].value,
            "subject_uuid": subject_uuid,
            "kind": state.kind.value,
            "step": first_step(state.kind, state).value,
            "status": PENDING.value,
            "claims": 0,
            "state": state.to_json(),
            "created_at": utcnow(),
        },
    )
    db.announce_operation(executor)
    key = result.inserted_primary_key
    assert key is not None  # an INSERT of one row always has it
    return int(key[0])


def _claimable(now: Any, operation: Any) -> Any:
    older = OPERATIONS.alias("older")
    blocked = exists().where(
        older.c.subject_uuid == operation.c.subject_uuid,
        older.c.id < operation.c.id,
        older.c.status.in_(UNFINISHED),
    )
    return and_(
        or_(
            operation.c.status == PENDING,
            and_(operation.c.status == RUNNING, operation.c.lease_expires_at < now),
        ),
        ~blocked,
    )


def _claim_statement(skip_locked: bool) -> Any:
    """``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING …``, built
    once: the dispatcher runs it on every wake-up, and building it cost as much as running it.
    Parameters: ``now``, ``expires``, ``owner``, ``busy`` (a list), ``limit``."""
    now = bindparam("now", type_=DateTime)
    candidate = OPERATIONS.alias("candidate")
    chosen = (
        select(candidate.c.id)
        .where(_claimable(now, candidate))
        .where(candidate.c.id.not_in(bindparam("busy", expanding=True)))
        .order_by(candidate.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if skip_locked:
        chosen = chosen.with_for_update(skip_locked=True, of=candidate)
    return (
        update(OPERATIONS)
        .where(OPERATIONS.c.id.in_(chosen.scalar_subquery()))
        .values(
            status=RUNNING,
            owner=bindparam("owner", type_=String),
            claims=OPERATIONS.c.claims + 1,
            lease_expires_at=bindparam("expires", type_=DateTime),
        )
        .returning(*OPERATIONS.c)
    )


#: On PostgreSQL rows are locked as chosen; SQLite has no row locks (``BEGIN IMMEDIATE``
#: serializes its writers instead).
_CLAIM_SKIP_LOCKED = _claim_statement(skip_locked=True)
_CLAIM_SERIALIZED = _claim_statement(skip_locked=False)


@dataclass(frozen=True)
class ClaimedOperation:
    """An operation as an engine claimed it: what to do, from which step, with what state."""

    id: int
    subject_kind: SubjectKind
    subject_uuid: str
    kind: OperationKind
    step: Step
    state: OperationState
    #: The claim count, this run's fencing token (see ``_UPDATE_HELD``).
    claims: int
    owner: str
    status: OperationStatus

    @classmethod
    def of(cls, row: Row[Any]) -> ClaimedOperation:
        kind = OperationKind(row.kind)
        return cls(
            id=int(row.id),
            subject_kind=SubjectKind(row.subject_kind),
            subject_uuid=row.subject_uuid,
            kind=kind,
            step=Step(row.step),
            state=load_state(kind, row.state),
            claims=int(row.claims),
            owner=row.owner,
            status=OperationStatus(row.status),
        )


def claim(
    db: Database,
    owner: str,
    lease_seconds: float,
    working_on: Iterable[int] = (),
    limit: int = 1,
) -> list[ClaimedOperation]:
    """Claim up to ``limit`` of the oldest claimable operations for ``owner``, oldest first;
    returns their rows (``operations`` columns, as claimed).

    One statement, which is its own transaction. The rows are locked as they are chosen
    (PostgreSQL re-checks them against the claimable condition once locked), so two engines
    never claim the same operation and neither waits for the other. ``working_on`` are
    operations this engine is running: even if their lease ran out (a starved heartbeat), they
    are not claimed again here while the first run goes on.
    """
    now = utcnow()
    claimed = db.write_one(
        _CLAIM_SERIALIZED if db.is_sqlite else _CLAIM_SKIP_LOCKED,
        {
            "now": now,
            "expires": now + dt.timedelta(seconds=lease_seconds),
            "owner": owner,
            "busy": list(working_on),
            "limit": limit,
        },
    )
    return sorted((ClaimedOperation.of(row) for row in claimed), key=lambda op: op.id)


_NEXT_EXPIRY = select(func.min(OPERATIONS.c.lease_expires_at)).where(
    OPERATIONS.c.status == RUNNING,
    OPERATIONS.c.id.not_in(bindparam("busy", expanding=True)),
)


def next_expiry(db: Database, working_on: Iterable[int]) -> dt.datetime | None:
    """When the first lease not being worked on here runs out: the moment a takeover may be
    due (another engine died, or this one had to drop an operation during an outage).

    Lease expiry announces itself to nobody, so the dispatcher sleeps no longer than this.
    """
    with db.read_rows() as connection:
        expiry: dt.datetime | None = connection.scalar(_NEXT_EXPIRY, {"busy": list(working_on)})
        return expiry


#: Parameters: ``ids`` (a list), ``holder``, ``expires``. (Not ``owner``: a bind parameter
#: named after a column of an UPDATE's table is reserved for its SET clause, and SQLAlchemy
#: refuses the statement when it runs.)
_RENEW = (
    update(OPERATIONS)
    .where(
        OPERATIONS.c.id.in_(bindparam("ids", expanding=True)),
        OPERATIONS.c.owner == bindparam("holder", type_=String),
        OPERATIONS.c.status == RUNNING,
    )
    .values(lease_expires_at=bindparam("expires", type_=DateTime))
    .returning(OPERATIONS.c.id)
)


def renew(db: Database, owner: str, operation_ids: Iterable[int], lease_seconds: float) -> set[int]:
    """Extend the leases ``owner`` still holds; returns the ids it still holds."""
    ids = list(operation_ids)
    if not ids:
        return set()
    expires = utcnow() + dt.timedelta(seconds=lease_seconds)
    held = db.write_one(_RENEW, {"ids": ids, "holder": owner, "expires": expires})
    return {int(row.id) for row in held}


#: An UPDATE of the operation that holds only while this very claim still holds it.
#:
#: ``held_claim`` (the operation's claim count when it was claimed) is a fencing token: if the
#: lease ran out and the operation was claimed again (by another engine or by this one), the
#: count moved on, and the older run can no longer record anything. The SET clause is
#: whatever else its parameters name (a Core UPDATE without ``values()`` sets those columns).
_UPDATE_HELD = update(OPERATIONS).where(
    OPERATIONS.c.id == bindparam("held_id", type_=Integer),
    OPERATIONS.c.owner == bindparam("held_owner", type_=String),
    OPERATIONS.c.claims == bindparam("held_claim", type_=Integer),
    OPERATIONS.c.status == RUNNING,
)


def _update_held(
    executor: Executor, operation_id: int, owner: str, claim: int, **values: Any
) -> None:
    held = {"held_id": operation_id, "held_owner": owner, "held_claim": claim}
    if not affected(executor.execute(_UPDATE_HELD, {**held, **values})):
        raise LeaseLost(f"operation {operation_id} is no longer held by {owner}")


def save_progress(
    executor: Executor, operation_id: int, owner: str, claim: int, step: str, state: dict[str, Any]
) -> None:
    """Record the step reached, inside the caller's transaction; ``LeaseLost`` if taken over."""
    _update_held(executor, operation_id, owner, claim, step=step, state=state)


def finish(
    executor: Executor,
    operation_id: int,
    owner: str,
    claim: int,
    status: OperationStatus,
    state: dict[str, Any],
) -> None:
    """End the operation with ``status``, inside the caller's transaction."""
    _update_held(
        executor,
        operation_id,
        owner,
        claim,
        status=status,
        state=state,
        finished_at=utcnow(),
        lease_expires_at=None,
    )


def hand_back(db: Database, operation_id: int, owner: str, claim: int) -> None:
    """Return an operation this claim holds to the queue, for the next engine to resume."""
    db.write_one(
        _UPDATE_HELD,
        {
            "held_id": operation_id,
            "held_owner": owner,
            "held_claim": claim,
            "status": PENDING,
            "owner": None,
            "lease_expires_at": None,
        },
    )


def listen(db: Database, announced: Callable[[], None], stopping: threading.Event) -> None:
    """Call ``announced`` whenever another process commits new work (PostgreSQL's
    ``NOTIFY``, see ``enqueue``), and once each time listening (re)starts, for whatever was
    committed while nobody listened; until ``stopping`` is set. A lost connection is retried.
    On SQLite (one process) there is nothing to listen to: it returns at once.
    """
    if db.dialect != "postgresql":
        return
    import psycopg

    url = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
    while not stopping.is_set():
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
                connection.execute(f"LISTEN {OPERATIONS_CHANNEL}")
                announced()
                while not stopping.is_set():
                    # A short wait, so that an engine asked to stop is not held up by it.
                    for _ in connection.notifies(timeout=0.1, stop_after=1):
                        announced()
        except psycopg.Error as exc:
            LOG.warning("LISTEN %s connection lost (%s); retrying", OPERATIONS_CHANNEL, exc)
            stopping.wait(2.0)
