"""Named locks held for the rest of a transaction, for decisions made by counting rows.

Counting and then adding is only safe if the next decider counts after the add commits. On
PostgreSQL a transaction-scoped advisory lock, keyed by the thing decided about (a project's
quota, a server group's placement), makes deciders queue; under READ COMMITTED each statement
after the lock sees what the previous holder committed. SQLite's write transactions are
serialised already (``BEGIN IMMEDIATE``), so there is nothing more to take.
"""

from __future__ import annotations

from sqlalchemy import text

from mogan.db.database import Executor

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_TRY_ADVISORY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")


def hold(tx: Executor, scope: str, key: str) -> None:
    """Hold the lock on ``scope``/``key`` until ``tx`` ends."""
    if tx.dialect.name == "postgresql":
        tx.execute(_ADVISORY_LOCK, {"key": _key(scope, key)})


def try_hold(tx: Executor, scope: str, key: str) -> bool:
    """Hold the lock on ``scope``/``key`` until ``tx`` ends if no other transaction holds it
    now (True), without waiting; False when another does. A transaction may take a lock it
    holds again."""
    if tx.dialect.name != "postgresql":
        return True
    return bool(tx.execute(_TRY_ADVISORY_LOCK, {"key": _key(scope, key)}).scalar())


def _key(scope: str, key: str) -> str:
    return f"mogan:{scope}:{key}"
