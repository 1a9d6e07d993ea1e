"""The fake driver's simulated machines, as data: what one is, and the store that keeps them.

The ``fake`` driver (``mogan.drivers.fake``) acts on them; the data layer keeps them in the
database (``mogan.db.fake_hardware``). The contract lives here, below both, so neither
depends on the other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class SimulatedMachine:
    power_state: str
    pending_power_state: str | None = None
    power_change_at: dt.datetime | None = None
    deployed_instance: str | None = None
    deployed_image_url: str | None = None
    boot_device: str = "disk"
    #: The config drive the deploy gave the machine: its documents, by name, base64-encoded
    #: (``configdrive.layout`` and ``build_iso`` make the ISO around them, as the Redfish
    #: driver attaches it).
    config_drive: dict[str, str] | None = None
    #: The instance whose deploy last wrote the disks; a clean erases it, a tear-down not.
    disk_written_by: str | None = None
    #: How many times the machine was cleaned, and how (the last mode).
    cleanings: int = 0
    last_clean_mode: str | None = None
    #: Rescued: the rescue image it booted (``boot_device`` ``cd``), and the SHA-256 of the
    #: rescue password it was given.
    rescue_image_url: str | None = None
    rescue_password_sha256: str | None = None
    #: The BIOS settings that differ from the factory's; the RAID configuration.
    bios_settings: dict[str, Any] | None = None
    raid_config: dict[str, Any] | None = None


class HardwareStore(Protocol):
    """Durable storage for simulated machines (implemented over the database)."""

    def load(self, node_uuid: str) -> SimulatedMachine: ...

    def save(self, node_uuid: str, machine: SimulatedMachine) -> None: ...

    def record_call(self, node_uuid: str, call: str, instance_uuid: str | None = None) -> None:
        """Append to the machine's log of requests received (``deploy``, ``clean``…)."""
