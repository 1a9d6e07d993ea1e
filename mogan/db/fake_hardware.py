"""The ``fake`` driver's simulated machines, kept in the ``fake_hardware`` table."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mogan.core import states
from mogan.db.database import Database
from mogan.db.models import FakeHardware, table_of
from mogan.drivers.fake import SimulatedMachine


class DatabaseHardwareStore:
    """``mogan.drivers.fake.HardwareStore`` over the database: survives restarts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self, node_uuid: str) -> SimulatedMachine:
        with self._db.read() as session:
            row = session.get(FakeHardware, node_uuid)
            if row is None:
                return SimulatedMachine(power_state=states.POWER_OFF)
            return SimulatedMachine(
                power_state=row.power_state,
                pending_power_state=row.pending_power_state,
                power_change_at=row.power_change_at,
                deployed_instance=row.deployed_instance,
                deployed_image_url=row.deployed_image_url,
                boot_device=row.boot_device,
            )

    def save(self, node_uuid: str, machine: SimulatedMachine) -> None:
        """One upsert (PostgreSQL and SQLite both speak ``INSERT … ON CONFLICT``)."""
        values = asdict(machine)
        dialect_insert = sqlite_insert if self._db.is_sqlite else postgresql_insert
        statement = dialect_insert(table_of(FakeHardware)).values(node_uuid=node_uuid, **values)
        with self._db.write() as session:
            session.execute(
                statement.on_conflict_do_update(index_elements=["node_uuid"], set_=values)
            )
