"""What the data layer hands out: frozen, typed records, one shape per kind of row.

Services, the engine and the API's views read these and nothing else: never an ORM object,
a SQLAlchemy ``Row`` or a driver's tuple. Each record's fields are exactly its table's
columns (a test holds them together), so a record is made from whatever row the data layer
read with ``of()``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Self


class Record:
    """A row as a frozen value; ``of()`` reads the fields by name from any row object."""

    __slots__ = ()

    @classmethod
    def of(cls, row: Any) -> Self:
        return cls(*(getattr(row, name) for name in _names(cls)))

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


_NAMES: dict[type[Record], tuple[str, ...]] = {}


def _names(cls: type[Record]) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return names


@dataclass(frozen=True, slots=True)
class InstanceRow(Record):
    uuid: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    name: str
    description: str | None
    project_id: str
    user_id: str
    status: str
    power_state: str | None
    target_power_state: str | None
    instance_type_uuid: str
    image_uuid: str
    availability_zone: str | None
    node_uuid: str | None
    network_info: dict[str, Any]
    extra: dict[str, Any]
    launched_at: dt.datetime | None
    config_drive: bool | None


@dataclass(frozen=True, slots=True)
class FaultRow(Record):
    id: int
    instance_uuid: str
    code: int
    message: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TypeRow(Record):
    uuid: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    name: str
    description: str | None
    is_public: bool


@dataclass(frozen=True, slots=True)
class ImageRow(Record):
    uuid: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    name: str
    url: str
    checksum: str | None
    disk_format: str


@dataclass(frozen=True, slots=True)
class NetworkRow(Record):
    uuid: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    name: str


@dataclass(frozen=True, slots=True)
class SubnetRow(Record):
    uuid: str
    network_uuid: str
    cidr: str
    ip_version: int
    gateway_ip: str | None
    allocation_pools: list[Any]
    allocations: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NodeRow(Record):
    uuid: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    name: str
    driver: str
    driver_info: dict[str, Any]
    properties: dict[str, Any]
    resource_class: str | None
    resource_class_trait: str | None
    availability_zone: str | None
    maintenance: bool
    maintenance_reason: str | None
    maintenance_kind: str | None
    leftover_instance_uuid: str | None
    instance_uuid: str | None
    power_state: str | None
    last_error: str | None
    provision_state: str | None
    nic_count: int


@dataclass(frozen=True, slots=True)
class NicRow(Record):
    uuid: str
    node_uuid: str
    mac_address: str
    port_type: str | None


@dataclass(frozen=True, slots=True)
class PortRow(Record):
    uuid: str
    network_uuid: str
    instance_uuid: str
    nic_uuid: str
    mac_address: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FixedIpRow(Record):
    id: int
    port_uuid: str
    subnet_uuid: str
    ip_address: str
