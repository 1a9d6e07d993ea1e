"""The record of what was done to each instance (and node, and inventory): actions (one per
request) and their events (one per step an engine carried out), as Nova's instance actions.
Each names its subject; instance uuids, node uuids and inventory ids never collide.

Request ids are unique in practice (the API makes a new one for every request), but nothing
relies on it: where two actions of an instance share one, the later is the one meant.

An action is written in the transaction of the change it records, so a change is never
without its record, nor a record without its change; its events are written in the
transactions that save each step's progress. Rows outlive the instance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from mogan.core.clock import utcnow
from mogan.core.operations import SubjectKind
from mogan.db.database import Database, Executor
from mogan.db.models import INSTANCE_ACTION_EVENTS, INSTANCE_ACTIONS
from mogan.db.records import ActionEventRow, ActionRow
from mogan.db.table import columns_of, reading

_ACTIONS = INSTANCE_ACTIONS
_EVENTS = INSTANCE_ACTION_EVENTS
_ACTION_ROWS = select(*columns_of(_ACTIONS, ActionRow))
_EVENT_ROWS = select(*columns_of(_EVENTS, ActionEventRow))

SUCCESS = "success"
ERROR = "error"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Event:
    """A step's outcome, to be recorded under its action."""

    event: str
    result: str
    start_time: dt.datetime
    details: str | None = None


def start(
    tx: Executor,
    *,
    subject_uuid: str,
    request_id: str,
    action: str,
    project_id: str,
    user_id: str | None,
    finished: bool = False,
    message: str | None = None,
    subject_kind: SubjectKind = SubjectKind.INSTANCE,
) -> None:
    """Record that ``request_id`` started ``action`` on the subject (an instance unless
    ``subject_kind`` says); ``finished`` for a change made at once (it is then a success,
    with ``message`` saying what it did)."""
    now = utcnow()
    tx.execute(
        insert(_ACTIONS),
        {
            "subject_kind": subject_kind.value,
            "subject_uuid": subject_uuid,
            "request_id": request_id,
            "action": action,
            "project_id": project_id,
            "user_id": user_id,
            "start_time": now,
            "finish_time": now if finished else None,
            "result": SUCCESS if finished else None,
            "message": message,
        },
    )


def finish(tx: Executor, action_id: int | None, result: str, message: str | None) -> None:
    """Record how the action ended (no-op for none: an operation queued by a release that
    kept no record)."""
    if action_id is not None:
        tx.execute(
            update(_ACTIONS)
            .where(_ACTIONS.c.id == action_id)
            .values(finish_time=utcnow(), result=result, message=message)
        )


def action_id(executor: Executor, subject_uuid: str, request_id: str) -> int | None:
    """The id of the subject's action for ``request_id`` (the latest, should two share it)."""
    return executor.execute(
        select(_ACTIONS.c.id)
        .where(_ACTIONS.c.subject_uuid == subject_uuid, _ACTIONS.c.request_id == request_id)
        .order_by(_ACTIONS.c.id.desc())
        .limit(1)
    ).scalar()


def add_events(tx: Executor, action_id: int | None, events: Sequence[Event], host: str) -> None:
    """Record ``events`` under the action (dropped when there is none)."""
    if not events or action_id is None:
        return
    now = utcnow()
    tx.execute(
        insert(_EVENTS),
        [
            {
                "action_id": action_id,
                "event": event.event,
                "start_time": event.start_time,
                "finish_time": now,
                "result": event.result,
                "host": host,
                "details": event.details,
            }
            for event in events
        ],
    )


def page(
    db: Database, instance_uuid: str, *, limit: int, marker: str | None = None
) -> tuple[list[ActionRow], bool]:
    """The instance's actions, newest first, at most ``limit`` after the action of request
    ``marker``; and whether more follow. ``LookupError`` for a marker that is not one of
    the instance's actions."""
    query = _ACTION_ROWS.where(_ACTIONS.c.subject_uuid == instance_uuid)
    with reading(db) as connection:
        if marker is not None:
            marker_id = action_id(connection, instance_uuid, marker)
            if marker_id is None:
                raise LookupError(marker)
            query = query.where(_ACTIONS.c.id < marker_id)
        rows = [
            ActionRow._make(row)
            for row in connection.execute(query.order_by(_ACTIONS.c.id.desc()).limit(limit + 1))
        ]
    return rows[:limit], len(rows) > limit


def get(
    db: Database, instance_uuid: str, request_id: str
) -> tuple[ActionRow, list[ActionEventRow]] | None:
    """The action of ``request_id`` on the instance and its events in order, or None."""
    with reading(db) as connection:
        found = action_id(connection, instance_uuid, request_id)
        if found is None:
            return None
        action = ActionRow._make(
            connection.execute(_ACTION_ROWS.where(_ACTIONS.c.id == found)).one()
        )
        events = [
            ActionEventRow._make(event)
            for event in connection.execute(
                _EVENT_ROWS.where(_EVENTS.c.action_id == action.id).order_by(_EVENTS.c.id)
            )
        ]
    return action, events


def project_of(db: Database, instance_uuid: str) -> str | None:
    """The project of an instance as its record says (there may be no row left of it)."""
    with reading(db) as connection:
        return connection.execute(
            select(_ACTIONS.c.project_id)
            .where(_ACTIONS.c.subject_uuid == instance_uuid)
            .order_by(_ACTIONS.c.id)
            .limit(1)
        ).scalar()


def with_events(
    db: Database, subject_uuid: str, *, limit: int
) -> list[tuple[ActionRow, list[ActionEventRow]]]:
    """The subject's latest ``limit`` actions, newest first, each with its events in order
    (two reads, whatever the number of actions)."""
    with reading(db) as connection:
        found = [
            ActionRow._make(row)
            for row in connection.execute(
                _ACTION_ROWS.where(_ACTIONS.c.subject_uuid == subject_uuid)
                .order_by(_ACTIONS.c.id.desc())
                .limit(limit)
            )
        ]
        events: dict[int, list[ActionEventRow]] = {action.id: [] for action in found}
        if found:
            for row in connection.execute(
                _EVENT_ROWS.where(_EVENTS.c.action_id.in_(list(events))).order_by(_EVENTS.c.id)
            ):
                event = ActionEventRow._make(row)
                events[event.action_id].append(event)
    return [(action, events[action.id]) for action in found]
