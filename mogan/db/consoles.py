"""Console tokens: issue one, and take it (once) at the proxy."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import delete, insert, update

from mogan.db.database import Database, Executor
from mogan.db.models import CONSOLE_TOKENS

_TOKENS = CONSOLE_TOKENS


class ConsoleTicket(NamedTuple):
    instance_uuid: str
    protocol: str
    console_type: str


def issue(
    tx: Executor,
    token_sha256: str,
    ticket: ConsoleTicket,
    expires_at: dt.datetime,
) -> None:
    tx.execute(
        insert(_TOKENS),
        {"token_sha256": token_sha256, "expires_at": expires_at, **ticket._asdict()},
    )


def take(db: Database, token_sha256: str, now: dt.datetime) -> ConsoleTicket | None:
    """The ticket of a token not yet used nor expired, marked used in the same statement
    (two proxies racing for one token: one wins); None otherwise. Expired tickets go."""
    with db.transaction() as tx:
        tx.execute(delete(_TOKENS).where(_TOKENS.c.expires_at < now - dt.timedelta(hours=1)))
        row = tx.execute(
            update(_TOKENS)
            .where(
                _TOKENS.c.token_sha256 == token_sha256,
                _TOKENS.c.used_at.is_(None),
                _TOKENS.c.expires_at >= now,
            )
            .values(used_at=now)
            .returning(_TOKENS.c.instance_uuid, _TOKENS.c.protocol, _TOKENS.c.console_type)
        ).first()
    return None if row is None else ConsoleTicket._make(row)
