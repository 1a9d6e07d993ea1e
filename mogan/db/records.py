"""What the data layer hands out: frozen, typed records, one shape per kind of row.

Services, the engine and the API's views read these and nothing else: never an ORM object,
a SQLAlchemy ``Row`` or a driver's tuple. Each record's fields are exactly its table's
columns (a test holds them together). They are named tuples: immutable, typed, and made
from a row selected in their field order (``columns()``) by ``_make`` at the cost of a
tuple, which matters on the paths that read a thousand rows per request; ``_replace`` makes
a changed copy.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

#: What every record is: a named tuple of its table's columns.
Record = NamedTuple


class InstanceRow(NamedTuple):
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
    key_name: str | None
    key_data: str | None
    user_data: str | None
    user_metadata: dict[str, Any]
    locked_by: str | None
    locked_reason: str | None
    tags: list[str]
    resource_class: str | None
    reservation_id: str | None


class FaultRow(NamedTuple):
    id: int
    instance_uuid: str
    code: int
    message: str
    created_at: dt.datetime


class TypeRow(NamedTuple):
    uuid: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    name: str
    description: str | None
    is_public: bool


class DeployTemplateRow(NamedTuple):
    uuid: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    name: str
    steps: list[dict[str, Any]]
    extra: dict[str, str]


class ImageRow(NamedTuple):
    uuid: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    name: str
    url: str
    checksum: str | None
    disk_format: str


class NetworkRow(NamedTuple):
    uuid: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    name: str


class SubnetRow(NamedTuple):
    uuid: str
    network_uuid: str
    cidr: str
    ip_version: int
    gateway_ip: str | None
    allocation_pools: list[Any]
    allocations: int
    created_at: dt.datetime


class NodeRow(NamedTuple):
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
    provision_state: str
    nic_count: int
    owner: str | None
    lessee: str | None


class NicRow(NamedTuple):
    uuid: str
    node_uuid: str
    mac_address: str
    port_type: str | None
    speed_mbps: int | None = None
    local_link_connection: dict[str, str] | None = None


class NodeInventoryRow(NamedTuple):
    node_uuid: str
    inventory: dict[str, Any]
    applied: dict[str, Any]
    inspected_at: dt.datetime


class PortRow(NamedTuple):
    uuid: str
    network_uuid: str
    instance_uuid: str
    nic_uuid: str
    mac_address: str
    created_at: dt.datetime
    preserve_on_delete: bool


class FixedIpRow(NamedTuple):
    id: int
    port_uuid: str
    subnet_uuid: str
    ip_address: str


class KeyPairRow(NamedTuple):
    user_id: str
    name: str
    project_id: str
    type: str
    public_key: str
    fingerprint: str
    created_at: dt.datetime


class ActionRow(NamedTuple):
    id: int
    subject_kind: str
    subject_uuid: str
    request_id: str
    action: str
    project_id: str
    user_id: str | None
    start_time: dt.datetime
    finish_time: dt.datetime | None
    result: str | None
    message: str | None


class ActionEventRow(NamedTuple):
    id: int
    action_id: int
    event: str
    start_time: dt.datetime
    finish_time: dt.datetime
    result: str
    host: str | None
    details: str | None


class QuotaRow(NamedTuple):
    project_id: str
    resource: str
    hard_limit: int


class ServerGroupRow(NamedTuple):
    uuid: str
    name: str
    project_id: str
    user_id: str
    policy: str
    rules: dict[str, Any]
    created_at: dt.datetime
