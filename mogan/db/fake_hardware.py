"""The ``fake`` driver's simulated machines, kept in the ``fake_hardware`` table."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import insert, update

from mogan.core import states
from mogan.db.database import Database, affected
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
        table = table_of(FakeHardware)
        with self._db.write() as session:
            updated = session.execute(
                update(table).where(table.c.node_uuid == node_uuid).values(**asdict(machine))
            )
            if not affected(updated):
                session.execute(insert(table).values(node_uuid=node_uuid, **asdict(machine)))
