"""Ironic's nodes and ports as Mogan's inventory, and adoption of deployed nodes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from mogan.core.errors import DriverError
from mogan.drivers import base
from mogan.drivers.ironic.client import IronicClient, translated

_NODE_FIELDS = [
    "uuid",
    "name",
    "resource_class",
    "properties",
    "conductor_group",
    "maintenance",
    "maintenance_reason",
    "provision_state",
    "power_state",
    "instance_uuid",
    "last_error",
    "owner",
    "lessee",
    "traits",
]
_PORT_FIELDS = [
    "uuid",
    "address",
    "node_uuid",
    "extra",
    "physical_network",
    "local_link_connection",
]
#: Ironic states in which a deployment is on the node: done, under way, or failed.
_HOLDS_DEPLOYMENT = frozenset({"active", "deploying", "wait call-back", "deploy failed"})


@dataclass(frozen=True)
class InventorySettings:
    #: Key of ``properties`` naming the node's availability zone.
    zone_property: str = "availability_zone"
    #: Fall back to the conductor group as the zone.
    zone_from_conductor_group: bool = False
    #: port_type of a port that names none (no ``extra.port_type``, no physical network).
    default_port_type: str | None = None


class IronicInventory(base.ManagedInventory):
    def __init__(self, client: IronicClient, settings: InventorySettings) -> None:
        self._client = client
        self._settings = settings

    def list_nodes(self) -> list[base.InventoryNode]:
        baremetal = self._client.baremetal
        with translated(self._client, "listing Ironic's nodes"):
            nodes = list(baremetal.nodes(fields=_NODE_FIELDS))
            ports = list(baremetal.ports(fields=_PORT_FIELDS))
        by_node: dict[str, list[base.InventoryPort]] = defaultdict(list)
        for port in ports:
            by_node[port.node_id].append(
                base.InventoryPort(
                    port.id,
                    port.address.lower(),
                    self._port_type(port),
                    dict(port.local_link_connection or {}) or None,
                )
            )
        return [self._node(node, by_node[node.id]) for node in nodes]

    def _port_type(self, port: Any) -> str | None:
        return (
            (port.extra or {}).get("port_type")
            or port.physical_network
            or self._settings.default_port_type
        )

    def _node(self, node: Any, ports: list[base.InventoryPort]) -> base.InventoryNode:
        properties = dict(node.properties or {})
        zone = properties.get(self._settings.zone_property)
        if not zone and self._settings.zone_from_conductor_group:
            zone = node.conductor_group or None
        return base.InventoryNode(
            uuid=node.id,
            name=node.name,
            resource_class=node.resource_class,
            properties=properties,
            availability_zone=zone,
            maintenance=bool(node.is_maintenance),
            maintenance_reason=node.maintenance_reason,
            provision_state=node.provision_state,
            power_state=node.power_state,
            instance_uuid=node.instance_id,
            last_error=node.last_error,
            owner=node.owner,
            lessee=node.lessee,
            traits=tuple(sorted(node.traits or ())),
            ports=tuple(sorted(ports, key=lambda p: p.mac_address)),
            deployed=node.provision_state == base.ACTIVE,
            holds_deployment=node.provision_state in _HOLDS_DEPLOYMENT,
        )

    def adopt(self, node: base.NodeRef, instance_uuid: str) -> None:
        what = f"adoption of Ironic node {node.name} as instance {instance_uuid}"
        baremetal = self._client.baremetal
        with translated(self._client, what):
            found = baremetal.get_node(node.uuid)
            if found.instance_id == instance_uuid:
                return
            if found.instance_id is not None:
                raise DriverError(f"{what}: Ironic says it serves instance {found.instance_id}")
            if found.provision_state != base.ACTIVE:
                raise DriverError(
                    f"{what}: the node is {found.provision_state!r} in Ironic, not active"
                )
            baremetal.patch_node(
                node.uuid,
                [{"op": "add", "path": "/instance_uuid", "value": instance_uuid}],
                retry_on_conflict=False,
            )
