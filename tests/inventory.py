"""An Ironic-like driver whose inventory is a list held in memory: the inventory sync's
input without Ironic (its listing is Ironic's cost, not Mogan's)."""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from mogan.drivers.base import Driver, InventoryNode, InventoryPort, ManagedInventory, NodeRef


class Listing(ManagedInventory):
    """Ironic's answer to "list every node", as the ironic driver turns it into Mogan's terms."""

    def __init__(self, nodes: list[InventoryNode] | None = None) -> None:
        self.nodes: list[InventoryNode] = list(nodes or [])

    def list_nodes(self) -> list[InventoryNode]:
        return list(self.nodes)

    def adopt(self, node: NodeRef, instance_uuid: str) -> None:
        raise NotImplementedError("nothing is adopted from a listing")


class ListingDriver(Driver):
    """The ``ironic`` driver as the sync sees it: its inventory, nothing else."""

    name = "ironic"

    def __init__(self, listing: Listing) -> None:
        self.inventory = listing

    def validate(self, node: NodeRef) -> None:
        """Nothing to check: no node is enrolled through Mogan here."""


def available_node(
    name: str, ports: tuple[InventoryPort, ...], traits: tuple[str, ...], **properties: Any
) -> InventoryNode:
    """A new node as Ironic lists it: available, powered off, in ``az1``, in no instance."""
    return InventoryNode(
        uuid=str(uuid_module.uuid4()),
        name=name,
        resource_class="baremetal",
        properties=properties,
        availability_zone="az1",
        maintenance=False,
        maintenance_reason=None,
        provision_state="available",
        power_state="power off",
        instance_uuid=None,
        last_error=None,
        ports=ports,
        traits=traits,
    )
