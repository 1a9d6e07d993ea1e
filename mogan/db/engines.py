"""The engines' data: engines announce themselves; the live ones share the periodic work.

An engine is live while its heartbeat is younger than the lease timeout: the same clock that
decides when its operations may be taken over decides when its nodes move to other engines.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from mogan.db.database import Database, affected
from mogan.db.models import EngineRecord, utcnow


def register(db: Database, engine_id: str, host: str) -> None:
    with db.write() as session:
        session.merge(
            EngineRecord(id=engine_id, host=host, started_at=utcnow(), heartbeat_at=utcnow())
        )


def heartbeat(db: Database, engine_id: str, host: str) -> None:
    with db.write() as session:
        beat = (
            update(EngineRecord).where(EngineRecord.id == engine_id).values(heartbeat_at=utcnow())
        )
        if not affected(session.execute(beat)):  # pruned while we were away: come back
            session.add(EngineRecord(id=engine_id, host=host, heartbeat_at=utcnow()))


def deregister(db: Database, engine_id: str) -> None:
    with db.write() as session:
        session.execute(delete(EngineRecord).where(EngineRecord.id == engine_id))


def live(db: Database, within_seconds: float) -> list[str]:
    """The ids of the engines heard from within ``within_seconds``; prunes long-dead ones."""
    now = utcnow()
    with db.write() as session:
        session.execute(
            delete(EngineRecord).where(
                EngineRecord.heartbeat_at < now - dt.timedelta(seconds=within_seconds * 10)
            )
        )
        return list(
            session.scalars(
                select(EngineRecord.id).where(
                    EngineRecord.heartbeat_at >= now - dt.timedelta(seconds=within_seconds)
                )
            )
        )
