"""The ``fake`` driver's simulated machines, kept in the ``fake_hardware`` table."""

from __future__ import annotations

import functools
from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mogan.core import states
from mogan.core.simulation import SimulatedMachine
from mogan.db.database import Database
from mogan.db.models import FAKE_HARDWARE, FAKE_HARDWARE_CALLS, utcnow

_HARDWARE = FAKE_HARDWARE
_CALLS = FAKE_HARDWARE_CALLS
_RECORD_CALL = insert(_CALLS)
_MACHINE_FIELDS = [f.name for f in fields(SimulatedMachine)]
_LOAD = select(*(_HARDWARE.c[name] for name in _MACHINE_FIELDS)).where(
    _HARDWARE.c.node_uuid == bindparam("node")
)


@functools.cache
def _upsert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (node_uuid) DO UPDATE`` (PostgreSQL and SQLite both speak it),
    built once; its parameters are the ``fake_hardware`` columns."""
    statement = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(_HARDWARE)
    return statement.on_conflict_do_update(
        index_elements=["node_uuid"],
        set_={name: statement.excluded[name] for name in _MACHINE_FIELDS},
    )


class DatabaseHardwareStore:
    """``mogan.core.simulation.HardwareStore`` over the database: survives restarts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self, node_uuid: str) -> SimulatedMachine:
        with self._db.read_rows() as connection:
            row = connection.execute(_LOAD, {"node": node_uuid}).first()
        if row is None:
            return SimulatedMachine(power_state=states.POWER_OFF)
        return SimulatedMachine(**row._asdict())

    def save(self, node_uuid: str, machine: SimulatedMachine) -> None:
        """One statement, its own transaction."""
        self._db.write_one(_upsert(self._db.dialect), {"node_uuid": node_uuid, **asdict(machine)})

    def record_call(self, node_uuid: str, call: str, instance_uuid: str | None = None) -> None:
        """One statement, its own transaction: the request is logged even if what it asked
        for then fails or never finishes."""
        self._db.write_one(
            _RECORD_CALL,
            {"node_uuid": node_uuid, "call": call, "instance_uuid": instance_uuid, "at": utcnow()},
        )

    def calls(self, node_uuid: str) -> list[str]:
        """The requests the machine received, oldest first (for tests and demos)."""
        with self._db.read_rows() as connection:
            return list(
                connection.scalars(
                    select(_CALLS.c.call)
                    .where(_CALLS.c.node_uuid == node_uuid)
                    .order_by(_CALLS.c.id)
                )
            )
