"""How resources look on the wire. Field names follow ../shared/spec exactly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from mogan.core import hosts, secrets
from mogan.core.errors import InvalidInput
from mogan.core.images import ImageFacts
from mogan.db.records import (
    ActionEventRow,
    ActionRow,
    DeployTemplateRow,
    FixedIpRow,
    ImageRow,
    KeyPairRow,
    NicRow,
    NodeInventoryRow,
    SubnetRow,
)
from mogan.services.actions import ActionRecord
from mogan.services.instances import InstanceRecord
from mogan.services.networks import NetworkRecord, PortRecord
from mogan.services.nodes import NodeRecord
from mogan.services.types import TypeRecord

INSTANCE_FIELDS = (
    "uuid",
    "name",
    "description",
    "status",
    "power_state",
    "instance_type_uuid",
    "image_uuid",
    "availability_zone",
    "network_info",
    "project_id",
    "user_id",
    "extra",
    "created_at",
    "updated_at",
    "launched_at",
    "links",
    "fault",
    "config_drive",
    "key_name",
    "metadata",
    "locked",
    "locked_by",
    "locked_reason",
    "tags",
    "reservation_id",
    "host_id",
)
INSTANCE_LIST_FIELDS = ("uuid", "name", "description", "status", "links")


def timestamp(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the UTC offset, as the spec's samples show."""
    return None if value is None else value.replace(tzinfo=dt.UTC).isoformat()


def links(base: str, collection: str, uuid: str) -> list[dict[str, str]]:
    return [
        {"href": f"{base}/v1/{collection}/{uuid}", "rel": "self"},
        {"href": f"{base}/{collection}/{uuid}", "rel": "bookmark"},
    ]


def parse_fields(raw: str | None, allowed: Iterable[str]) -> tuple[str, ...] | None:
    """``?fields=a,b`` as a tuple (``links`` always added), or None when not given."""
    if raw is None:
        return None
    allowed = tuple(allowed)
    wanted = tuple(f.strip() for f in raw.split(",") if f.strip())
    unknown = [f for f in wanted if f not in allowed]
    if unknown:
        raise InvalidInput(
            f"Invalid value for 'fields': unknown field(s) {', '.join(unknown)}; "
            f"choose from {', '.join(allowed)}."
        )
    return (*dict.fromkeys(wanted), *(() if "links" in wanted else ("links",)))


def addresses(network_info: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The instance's addresses by network, as Nova shows them: each port's fixed IPs, then
    the floating IPs associated with it."""
    shown: dict[str, list[dict[str, Any]]] = {}
    for port_id, port in network_info.items():
        listed = [(ip["ip_address"], "fixed") for ip in port.get("fixed_ips", [])]
        listed += [(address, "floating") for address in port.get("floating_ips", [])]
        shown.setdefault(port.get("network", ""), []).extend(
            {
                "version": 6 if ":" in address else 4,
                "addr": address,
                "OS-EXT-IPS:type": kind,
                "OS-EXT-IPS-MAC:mac_addr": port.get("mac_address"),
                "port_id": port_id,
            }
            for address, kind in listed
        )
    return shown


def instance(
    record: InstanceRecord, base: str, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    row = record.instance
    body: dict[str, Any] = {
        "uuid": row.uuid,
        "name": row.name,
        "description": row.description,
        "status": row.status,
        "power_state": row.power_state,
        "instance_type_uuid": row.instance_type_uuid,
        "image_uuid": row.image_uuid,
        "availability_zone": row.availability_zone,
        "network_info": row.network_info or {},
        "addresses": addresses(row.network_info or {}),
        "project_id": row.project_id,
        "user_id": row.user_id,
        "extra": row.extra or {},
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "launched_at": timestamp(row.launched_at),
        "config_drive": row.config_drive,
        "key_name": row.key_name,
        "metadata": row.user_metadata or {},
        "locked": row.locked_by is not None,
        #: Who set the lock, as Nova says it: ``owner`` or ``admin`` (whose lock only an
        #: administrator may lift); null when unlocked.
        "locked_by": row.locked_by,
        "locked_reason": row.locked_reason,
        "tags": list(row.tags),
        "reservation_id": row.reservation_id,
        #: The node serving it, as its project sees it (Nova's ``hostId``): equal for two
        #: instances of one project on one node, meaningless to anyone else.
        "host_id": hosts.host_id(row.project_id, row.node_uuid) if row.node_uuid else None,
        "links": links(base, "instances", row.uuid),
    }
    if record.fault is not None:
        body["fault"] = {
            "code": record.fault.code,
            "message": record.fault.message,
            "created_at": timestamp(record.fault.created_at),
        }
    if fields is None:
        return body
    return {name: body[name] for name in fields if name in body}


def action(row: ActionRow) -> dict[str, Any]:
    return {
        "action": row.action,
        "instance_uuid": row.subject_uuid,
        "request_id": row.request_id,
        "project_id": row.project_id,
        "user_id": row.user_id,
        "start_time": timestamp(row.start_time),
        "finish_time": timestamp(row.finish_time),
        "result": row.result,
        "message": row.message,
    }


def action_detail(record: ActionRecord) -> dict[str, Any]:
    body = action(record.action)
    body["events"] = [_event(event, record.show_host) for event in record.events]
    return body


def _event(event: ActionEventRow, show_host: bool) -> dict[str, Any]:
    """One step of an action, with the engine that carried it out when ``show_host``."""
    shown: dict[str, Any] = {
        "event": event.event,
        "start_time": timestamp(event.start_time),
        "finish_time": timestamp(event.finish_time),
        "result": event.result,
        "details": event.details,
    }
    if show_host:
        shown["host"] = event.host
    return shown


def keypair(row: KeyPairRow, base: str, *, private_key: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": row.name,
        "user_id": row.user_id,
        "type": row.type,
        "public_key": row.public_key,
        "fingerprint": row.fingerprint,
        "created_at": timestamp(row.created_at),
        "links": [{"href": f"{base}/v1/keypairs/{row.name}", "rel": "self"}],
    }
    if private_key is not None:
        body["private_key"] = private_key
    return body


def instance_type(record: TypeRecord, base: str) -> dict[str, Any]:
    row = record.type
    return {
        "uuid": row.uuid,
        "name": row.name,
        "description": row.description,
        "is_public": row.is_public,
        "extra_specs": record.extra_specs,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "links": links(base, "types", row.uuid),
    }


def deploy_template(row: DeployTemplateRow, base: str) -> dict[str, Any]:
    return {
        "uuid": row.uuid,
        "name": row.name,
        "steps": row.steps,
        "extra": row.extra,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "links": links(base, "deploy_templates", row.uuid),
    }


def nic(row: NicRow) -> dict[str, Any]:
    return {
        "uuid": row.uuid,
        "mac_address": row.mac_address,
        "port_type": row.port_type,
        "speed_mbps": row.speed_mbps,
        "local_link_connection": row.local_link_connection,
    }


def node_inventory(row: NodeInventoryRow) -> dict[str, Any]:
    return {"inventory": row.inventory, "inspected_at": timestamp(row.inspected_at)}


def node_history(entries: list[tuple[ActionRow, list[ActionEventRow]]]) -> dict[str, Any]:
    """A node's inspections and cleans with their steps (engine hosts shown: operators
    read it)."""
    history = []
    for row, events in entries:
        entry = action(row._replace(message=_operators(row.message)))
        entry.pop("instance_uuid")
        entry.pop("project_id")
        entry["events"] = [
            _event(event._replace(details=_operators(event.details)), show_host=True)
            for event in events
        ]
        history.append(entry)
    return {"history": history}


#: The events of a sync whose details list node uuids, space-separated; the others
#: (``orphan``, ``skipped``) say ``<node uuid>: <why>``, one node each
#: (``mogan.engine.operations.sync``).
_SYNC_LISTS = ("added", "updated", "removed", "repaired")


def sync(row: ActionRow, events: list[ActionEventRow]) -> dict[str, Any]:
    """A sync of the inventory: its record, and what it changed in Ironic's words."""
    body = node_history([(row, events)])["history"][0]
    body.update({name: [] for name in _SYNC_LISTS})
    body.update(orphans=[], skipped={})
    for event in events:
        details = event.details or ""
        if event.event in _SYNC_LISTS:
            body[event.event] = details.split()
        elif event.event in ("orphan", "skipped"):
            node_uuid, _, why = details.partition(": ")
            if event.event == "orphan":
                body["orphans"].append({"node_uuid": node_uuid, "message": _operators(why)})
            else:
                body["skipped"][node_uuid] = _operators(why)
    return body


def _operators(text: str | None) -> str | None:
    """Text only operators read, with nodes named (``mogan.core.hosts``)."""
    return None if text is None else hosts.for_operator(text)


def node(record: NodeRecord, base: str) -> dict[str, Any]:
    row = record.node
    return {
        "uuid": row.uuid,
        "name": row.name,
        "driver": row.driver,
        "driver_info": secrets.mask(row.driver_info or {}),
        "properties": row.properties or {},
        "resource_class": row.resource_class,
        "availability_zone": row.availability_zone,
        "maintenance": row.maintenance,
        "maintenance_reason": _operators(row.maintenance_reason),
        "owner": row.owner,
        "lessee": row.lessee,
        "instance_uuid": row.instance_uuid,
        "power_state": row.power_state,
        "provision_state": row.provision_state,
        "last_error": _operators(row.last_error),
        "nics": [nic(n) for n in record.nics],
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "links": links(base, "nodes", row.uuid),
        **(
            {}
            if record.configuration is None
            else {
                "configuration": {
                    **record.configuration,
                    "applied_at": timestamp(record.configuration["applied_at"]),
                }
            }
        ),
    }


def image(image: ImageRow | ImageFacts, base: str) -> dict[str, Any]:
    """An image of Mogan's registry, or of Glance (``source``), in one shape."""
    if isinstance(image, ImageFacts):
        return {
            "uuid": image.uuid,
            "name": image.name,
            "url": None,
            "checksum": f"{image.hash_algo}:{image.hash_value}"
            if image.hash_value
            else image.checksum,
            "disk_format": image.disk_format,
            "container_format": image.container_format,
            "status": image.status,
            "visibility": image.visibility,
            "owner": image.owner,
            "size": image.size,
            "min_disk": image.min_disk,
            "min_ram": image.min_ram,
            "source": image.source,
            "created_at": image.created_at,
            "updated_at": image.updated_at,
            "links": links(base, "images", image.uuid),
        }
    return {
        "uuid": image.uuid,
        "name": image.name,
        "url": image.url,
        "checksum": image.checksum,
        "disk_format": image.disk_format,
        "source": "builtin",
        "created_at": timestamp(image.created_at),
        "updated_at": timestamp(image.updated_at),
        "links": links(base, "images", image.uuid),
    }


def subnet(row: SubnetRow) -> dict[str, Any]:
    return {
        "uuid": row.uuid,
        "cidr": row.cidr,
        "ip_version": row.ip_version,
        "gateway_ip": row.gateway_ip,
        "allocation_pools": row.allocation_pools,
    }


def network(record: NetworkRecord, base: str) -> dict[str, Any]:
    row = record.network
    return {
        "uuid": row.uuid,
        "name": row.name,
        "subnets": [subnet(s) for s in record.subnets],
        "source": record.source,
        "shared": record.shared,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "links": links(base, "networks", row.uuid),
    }


def fixed_ip(row: FixedIpRow) -> dict[str, str]:
    return {"ip_address": row.ip_address, "subnet_id": row.subnet_uuid}


def port(record: PortRecord) -> dict[str, Any]:
    row = record.port
    return {
        "uuid": row.uuid,
        "network_uuid": row.network_uuid,
        "instance_uuid": row.instance_uuid,
        "nic_uuid": row.nic_uuid,
        "mac_address": row.mac_address,
        "fixed_ips": [fixed_ip(i) for i in record.fixed_ips],
        "created_at": timestamp(row.created_at),
    }
