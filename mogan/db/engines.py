"""The engines' data: engines announce themselves; the live ones share the periodic work.

An engine is live while its heartbeat is younger than the lease timeout: the same clock that
decides when its operations may be taken over decides when its nodes move to other engines.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update

from mogan.core.clock import utcnow
from mogan.db.database import Database, Executor, affected
from mogan.db.models import ENGINES


def _beat(tx: Executor, engine_id: str, host: str, *, started: bool) -> None:
    now = utcnow()
    values = {"heartbeat_at": now, **({"started_at": now} if started else {})}
    beat = update(ENGINES).where(ENGINES.c.id == engine_id).values(**values)
    if not affected(tx.execute(beat)):  # new, or pruned while we were away: (re)appear
        tx.execute(
            insert(ENGINES),
            {"id": engine_id, "host": host, "started_at": now, "heartbeat_at": now},
        )


def register(db: Database, engine_id: str, host: str) -> None:
    with db.transaction() as tx:
        _beat(tx, engine_id, host, started=True)


def heartbeat(db: Database, engine_id: str, host: str) -> None:
    with db.transaction() as tx:
        _beat(tx, engine_id, host, started=False)


def deregister(db: Database, engine_id: str) -> None:
    with db.transaction() as tx:
        tx.execute(delete(ENGINES).where(ENGINES.c.id == engine_id))


def live(db: Database, within_seconds: float) -> list[str]:
    """The ids of the engines heard from within ``within_seconds``; prunes long-dead ones."""
    now = utcnow()
    with db.transaction() as tx:
        tx.execute(
            delete(ENGINES).where(
                ENGINES.c.heartbeat_at < now - dt.timedelta(seconds=within_seconds * 10)
            )
        )
        return list(
            tx.execute(
                select(ENGINES.c.id).where(
                    ENGINES.c.heartbeat_at >= now - dt.timedelta(seconds=within_seconds)
                )
            ).scalars()
        )
