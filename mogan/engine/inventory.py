"""Inventory sync: the nodes of a driver whose inventory lives elsewhere (Ironic) mirrored into
Mogan's ``nodes`` and ``nics``, and the reconciliation of the two sides.

Ironic owns these nodes. The sync adds the new ones, updates what Ironic says of the known
ones (properties, resource class, zone, ports, provision state, maintenance) and removes the
gone ones that serve no instance. Only ``available``, non-maintenance nodes are schedulable
(see ``scheduler``). Maintenance is mirrored with an ``Ironic:`` reason prefix, so a
maintenance an operator set in Mogan for their own reason is never lifted by a sync.

Reconciliation finds orphans: an Ironic node serving an instance Mogan has not placed there,
or a Mogan instance active on a node Ironic has undeployed. A deployment Mogan itself left
behind (a failed deploy whose clean-up could not reach Ironic) is torn down once Ironic
answers; anything else is reported (log, the node's ``last_error``, the sync result) for an
operator, since tearing down a deployment Mogan did not make could destroy someone's work.

The order matters for correctness: Ironic is read *before* Mogan's rows. Mogan always claims
a node in its database before writing to Ironic and releases it only after Ironic is clean, so
anything Ironic shows was already claimed when Mogan's rows are read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mogan.core import states
from mogan.core.clock import utcnow
from mogan.core.errors import DriverError
from mogan.core.placement import resource_class_trait
from mogan.core.states import MaintenanceKind
from mogan.db import instances, nodes, traits
from mogan.db.database import Database, Duplicate
from mogan.db.records import InstanceRow, NicRow, NodeRow
from mogan.drivers.base import AVAILABLE, Driver, InventoryNode, NodeRef
from mogan.drivers.registry import DriverRegistry

LOG = logging.getLogger(__name__)

#: Nodes mirrored per batch: their rows are read together, in a few queries.
BATCH = 500

#: How the reason of a maintenance mirrored from the owner begins, for the person reading it.
OWNER_MAINTENANCE = "Ironic: "


@dataclass(frozen=True)
class Orphan:
    node_uuid: str
    node_name: str
    #: The instance the owner or Mogan says the node serves.
    instance_uuid: str | None
    message: str


@dataclass
class InventoryResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: Deployments Mogan had left behind and has now torn down.
    repaired: list[str] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    #: Nodes that could not be mirrored, with the reason.
    skipped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "repaired": self.repaired,
            "orphans": [
                {"node_uuid": o.node_uuid, "instance_uuid": o.instance_uuid, "message": o.message}
                for o in self.orphans
            ],
            "skipped": self.skipped,
        }


def sync_inventory(
    db: Database, drivers: DriverRegistry, *, owns: Callable[[str], bool] | None = None
) -> InventoryResult:
    """One sync of every enabled driver that has an inventory of its own.

    ``owns(node_uuid)`` limits it to this engine's share of the hash ring (all by default).
    Raises ``DriverError`` when the owner cannot be listed: nothing is changed then.
    """
    result = InventoryResult()
    for name in drivers.names:
        driver = drivers.get(name)
        if driver.inventory is None:
            continue
        listed = driver.inventory.list_nodes()
        _Sync(db, name, driver, owns or (lambda _uuid: True), result).run(listed)
    return result


class _Sync:
    def __init__(
        self,
        db: Database,
        driver_name: str,
        driver: Driver,
        owns: Callable[[str], bool],
        result: InventoryResult,
    ) -> None:
        self._db = db
        self._driver_name = driver_name
        self._driver = driver
        self._owns = owns
        self.result = result

    def run(self, listed: list[InventoryNode]) -> None:
        seen = {node.uuid for node in listed}
        owned = [node for node in listed if self._owns(node.uuid)]
        for start in range(0, len(owned), BATCH):
            self._batch(owned[start : start + BATCH])
        if len(self.result.added) >= BATCH:
            nodes.refresh_statistics(self._db)
        for node_uuid in nodes.uuids_of_driver(self._db, self._driver_name):
            if node_uuid not in seen and self._owns(node_uuid):
                self._gone(node_uuid)

    def _batch(self, listed: list[InventoryNode]) -> None:
        """Mirror and reconcile ``listed``: their rows are read in a few queries, and only a
        node whose mirror differs from what Ironic says is written, in its own transaction,
        so a sync of an unchanged fleet writes nothing."""
        uuids = [node.uuid for node in listed]
        have = nodes.NODES.get_many(self._db, uuids)
        nics = nodes.nics_of(self._db, list(have))
        node_traits = traits.of_nodes(self._db, list(have))
        added = self._add([found for found in listed if found.uuid not in have])
        have.update(added)
        claimed = [row.instance_uuid for row in have.values() if row.instance_uuid]
        serving = instances.get_many(self._db, claimed)
        for found in listed:
            node = have.get(found.uuid)
            try:
                if found.uuid in added:
                    pass  # just written as Ironic says it
                elif node is None or not self._mirrored(
                    found, node, nics[found.uuid], node_traits[found.uuid]
                ):
                    self._mirror(found)
                    node = nodes.NODES.get(self._db, found.uuid)
                if node is not None:
                    claimed_by = node.instance_uuid
                    instance = serving.get(claimed_by) if claimed_by else None
                    if claimed_by and instance is None:
                        instance = instances.get(self._db, claimed_by)
                    self._reconcile(found, node, instance)
            except Duplicate as exc:
                reason = f"conflicts with a node Mogan already has ({exc})"
                self.result.skipped[found.uuid] = reason
                LOG.warning("Inventory sync: Ironic node %s skipped: %s", found.uuid, reason)

    def _mirrored(
        self, found: InventoryNode, node: NodeRow, nics: list[NicRow], node_traits: list[str]
    ) -> bool:
        """Whether ``node`` (with ``nics`` and ``node_traits``) already says what Ironic
        says of it."""
        values = self._values(found, node, found.name or found.uuid)
        return (
            all(getattr(node, key) == value for key, value in values.items())
            and nodes.nics_match(nics, self._nics(found))
            and sorted(set(found.traits)) == node_traits
        )

    # -- mirroring ----------------------------------------------------------------------------

    def _add(self, new: list[InventoryNode]) -> dict[str, NodeRow]:
        """Add ``new`` (nodes Mogan does not have) in one transaction: a query for their
        names and a multi-row insert each for nodes, NICs and traits. When any one conflicts
        (a MAC another node has) none is added here, and the caller mirrors them one by one
        so that only the conflicting node is skipped. The rows added, by uuid."""
        if not new:
            return {}
        try:
            with self._db.transaction() as tx:
                holders = nodes.name_holders(tx, [_wanted_name(found) for found in new])
                added = nodes.add_many(
                    tx,
                    [
                        (
                            self._new_node(found, self._values(found, None, _name(found, holders))),
                            self._nics(found),
                        )
                        for found in new
                    ],
                )
                traits.add_new(tx, {found.uuid: found.traits for found in new})
        except Duplicate:
            return {}
        for node in added:
            self.result.added.append(node.uuid)
            LOG.info("Inventory sync: new node %s (%s)", node.name, node.uuid)
        return {node.uuid: node for node in added}

    def _mirror(self, found: InventoryNode) -> None:
        """Write what Ironic says of ``found`` in one transaction; the result counts it only
        once that has committed (a conflict rolls it back and the node is skipped)."""
        with self._db.transaction() as tx:
            node = nodes.NODES.get_locked(tx, found.uuid)
            holders = nodes.name_holders(tx, [_wanted_name(found)])
            values = self._values(found, node, _name(found, holders))
            changed = True
            if node is None:
                nodes.NODES.add(tx, self._new_node(found, values))
            else:
                differing = {k: v for k, v in values.items() if getattr(node, k) != v}
                if differing:
                    nodes.NODES.update(tx, found.uuid, **differing)
                changed = bool(differing)
            if nodes.mirror_nics(tx, found.uuid, self._nics(found)):
                changed = True
            if sorted(set(found.traits)) != traits.of_node(tx, found.uuid):
                traits.replace(tx, found.uuid, found.traits)
                changed = True
        if node is None:
            self.result.added.append(found.uuid)
            LOG.info("Inventory sync: new node %s (%s)", values["name"], found.uuid)
        elif changed:
            self.result.updated.append(found.uuid)

    def _new_node(self, found: InventoryNode, values: dict[str, Any]) -> NodeRow:
        blank = dict.fromkeys(NodeRow._fields)
        return NodeRow(
            **{
                **blank,
                "uuid": found.uuid,
                "created_at": utcnow(),
                "driver": self._driver_name,
                "maintenance": False,
                "nic_count": 0,
                **values,
            }
        )

    @staticmethod
    def _nics(found: InventoryNode) -> list[NicRow]:
        return [
            NicRow(
                port.uuid,
                found.uuid,
                port.mac_address,
                port.port_type,
                local_link_connection=port.local_link_connection,
            )
            for port in found.ports
        ]

    @staticmethod
    def _values(found: InventoryNode, node: NodeRow | None, name: str) -> dict[str, Any]:
        """The node's columns a sync copies from Ironic (``node`` is Mogan's row, if any)."""
        values: dict[str, Any] = {
            "name": name,
            "properties": dict(found.properties),
            "resource_class": found.resource_class,
            "resource_class_trait": resource_class_trait(found.resource_class),
            "availability_zone": found.availability_zone,
            "provision_state": found.provision_state,
            "power_state": found.power_state,
            "owner": found.owner,
            "lessee": found.lessee,
        }
        own_maintenance = (
            node is not None and node.maintenance and node.maintenance_kind != MaintenanceKind.OWNER
        )
        if own_maintenance:
            pass  # Mogan's own reason wins until an operator lifts it
        elif found.maintenance:
            values["maintenance"] = True
            values["maintenance_kind"] = MaintenanceKind.OWNER.value
            values["maintenance_reason"] = OWNER_MAINTENANCE + (
                found.maintenance_reason or "in maintenance"
            )
        else:
            values["maintenance"] = False
            values["maintenance_kind"] = None
            values["maintenance_reason"] = None
        if node is None:
            values["driver_info"] = {}
        return values

    def _gone(self, node_uuid: str) -> None:
        with self._db.transaction() as tx:
            node = nodes.NODES.get_locked(tx, node_uuid)
            if node is None:
                return
            if node.instance_uuid is None:
                nodes.delete_if_free(tx, node_uuid)
                self.result.removed.append(node_uuid)
                LOG.info("Inventory sync: node %s is gone from Ironic; removed", node.name)
                return
            message = f"Ironic no longer has this node, but instance {node.instance_uuid} is on it"
            nodes.NODES.update(
                tx,
                node_uuid,
                maintenance=True,
                maintenance_kind=MaintenanceKind.OWNER.value,
                maintenance_reason=OWNER_MAINTENANCE + "the node is gone",
                last_error=message,
            )
        self.result.orphans.append(Orphan(node_uuid, node.name, node.instance_uuid, message))
        LOG.warning("Inventory sync: node %s: %s", node.name, message)

    # -- reconciliation -----------------------------------------------------------------------

    def _reconcile(
        self, found: InventoryNode, node: NodeRow, mogan_instance: InstanceRow | None
    ) -> None:
        """Compare what Ironic says ``node`` serves with what Mogan placed on it
        (``mogan_instance``, the instance claiming it)."""
        claimed_by = node.instance_uuid
        if found.instance_uuid is not None and found.instance_uuid != claimed_by:
            # Only a deployment Mogan recorded as left behind is torn down: an instance that
            # merely exists elsewhere may be an adoption that failed half-way, on a node
            # whose workload is real.
            left_behind = (
                node.maintenance_kind == MaintenanceKind.FAILED_CLEANUP
                and node.leftover_instance_uuid == found.instance_uuid
            )
            if left_behind:
                self._repair(node, found.instance_uuid)
            else:
                self._report(
                    node,
                    found.instance_uuid,
                    f"Ironic says this node serves instance {found.instance_uuid}, which Mogan "
                    "did not place here: adopt it (POST /v1/manageable_instances) or undeploy "
                    "it in Ironic",
                )
        elif (
            found.instance_uuid is None
            and claimed_by is None
            and node.maintenance_kind == MaintenanceKind.FAILED_CLEANUP
            and not found.holds_deployment
        ):
            self._repair(node, None)  # the failed deploy never reached Ironic, or is gone
        elif found.instance_uuid is None and claimed_by is None and found.deployed:
            self._report(
                node,
                None,
                "Ironic has this node active with no instance: adopt it "
                "(POST /v1/manageable_instances) or undeploy it in Ironic",
            )
        elif (
            claimed_by is not None
            and found.instance_uuid is None
            and mogan_instance is not None
            and mogan_instance.status == states.ACTIVE
        ):
            self._report(
                node,
                claimed_by,
                f"Mogan's instance {claimed_by} is active on this node, but Ironic has no "
                f"instance on it (provision state {found.provision_state!r})",
            )

    def _repair(self, node: NodeRow, instance_uuid: str | None) -> None:
        """Tear down a deployment Mogan started and could not clean up at the time."""
        ref = NodeRef(
            node.uuid,
            node.name,
            dict(node.driver_info),
            instance_uuid=instance_uuid,
            properties=dict(node.properties),
        )
        try:
            self._driver.deploy.undeploy(ref)
        except DriverError as exc:
            self._report(
                node,
                instance_uuid,
                f"Ironic still holds a failed deploy of instance {instance_uuid}; tearing it "
                f"down failed: {exc.message}",
            )
            return
        with self._db.transaction() as tx:
            values: dict[str, Any] = {"provision_state": AVAILABLE, "last_error": None}
            if node.maintenance_kind == MaintenanceKind.FAILED_CLEANUP:
                values.update(
                    maintenance=False,
                    maintenance_reason=None,
                    maintenance_kind=None,
                    leftover_instance_uuid=None,
                )
            nodes.update_if_free(tx, node.uuid, **values)
        self.result.repaired.append(node.uuid)
        LOG.info(
            "Inventory sync: tore down the failed deploy of instance %s left on node %s",
            instance_uuid,
            node.name,
        )

    def _report(self, node: NodeRow, instance_uuid: str | None, message: str) -> None:
        self.result.orphans.append(Orphan(node.uuid, node.name, instance_uuid, message))
        LOG.warning("Orphan on node %s (%s): %s", node.name, node.uuid, message)
        if node.last_error != message:
            with self._db.transaction() as tx:
                nodes.NODES.update(tx, node.uuid, last_error=message)


def _wanted_name(found: InventoryNode) -> str:
    return found.name or found.uuid


def _name(found: InventoryNode, holders: dict[str, str]) -> str:
    """Ironic's name for the node, or its uuid when another node (of another driver) holds
    that name; ``holders`` maps names to the nodes holding them (``nodes.name_holders``)."""
    wanted = _wanted_name(found)
    return wanted if holders.get(wanted, found.uuid) == found.uuid else found.uuid
