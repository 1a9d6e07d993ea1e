"""Inspect: ask a node's hardware what it is and record it on the node.

The node is ``inspecting`` (never scheduled) until this ends. Its properties are filled from
the findings — except those an operator set by hand, unless the request said ``overwrite`` —,
NICs it lacked are added with their speed (and a port type from ``[inspection]
port_type_by_speed``), and the hardware's own report is kept (``GET …/inventory``). A failed
inspection puts the node in maintenance as ``inspect failed`` with the hardware's reason.

For a node its owner (Ironic) manages, the owner inspects and its properties come back by the
inventory sync; Mogan keeps the report and the state the owner leaves the node in.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid as uuid_module
from typing import Any

from mogan.core import lifecycle
from mogan.core.errors import DriverError
from mogan.core.inspection import (
    FoundDisk,
    found_properties,
    merge_properties,
    port_type_for,
)
from mogan.core.operations import InspectState, OperationKind, Step
from mogan.core.states import MaintenanceKind
from mogan.db import nodes
from mogan.db.database import Duplicate
from mogan.db.records import NicRow, NodeRow
from mogan.drivers.base import HardwareInventory
from mogan.engine.inventory import sync_inventory
from mogan.engine.operations.base import Handler, OperationFailed, StepFunction, Work, mention
from mogan.engine.operations.clean import fail_node

LOG = logging.getLogger(__name__)


class InspectNode(Handler[InspectState]):
    kind = OperationKind.INSPECT

    def steps(self) -> dict[Step, StepFunction[InspectState]]:
        return {Step.INSPECT: self.step_inspect}

    def step_inspect(self, work: Work[InspectState]) -> Step | None:
        node_uuid = work.node_uuid
        node, driver, ref = work.node(node_uuid)
        if node.provision_state != lifecycle.INSPECTING and driver.inventory is None:
            work.cancel(f"the node is {node.provision_state!r}, no longer inspecting")
            return None
        if driver.inspect is None:
            raise OperationFailed(f"Driver {node.driver!r} cannot inspect node {mention(node)}.")
        inspector = driver.inspect
        known = nodes.nics_of(work.db, [node_uuid])[node_uuid]
        ref = dataclasses.replace(ref, macs=tuple(nic.mac_address for nic in known))
        try:
            found = work.driver_call(lambda: inspector.inspect(ref), f"inspection of {node.name}")
        except DriverError as exc:
            raise OperationFailed(
                f"Inspection of node {mention(node)} failed: {exc.message}"
            ) from None
        if driver.inventory is not None:
            return self._owner_inspected(work, node, found)
        previous = nodes.inventory_of(work.db, node_uuid)
        disks = [FoundDisk(d.name, d.size_gb, d.type, d.serial) for d in found.disks]
        properties, applied, kept = merge_properties(
            node.properties,
            previous.applied if previous else {},
            found_properties(
                cpus=found.cpus,
                cpu_arch=found.cpu_arch,
                cpu_model=found.cpu_model,
                memory_mb=found.memory_mb,
                disks=disks,
            ),
            overwrite=work.state.overwrite,
        )
        by_mac = {nic.mac_address: nic for nic in known}
        found_nics = [
            NicRow(
                uuid=by_mac[nic.mac_address].uuid
                if nic.mac_address in by_mac
                else str(uuid_module.uuid4()),
                node_uuid=node_uuid,
                mac_address=nic.mac_address,
                port_type=port_type_for(
                    nic.speed_mbps,
                    work.settings.port_type_by_speed,
                    by_mac[nic.mac_address].port_type if nic.mac_address in by_mac else None,
                    overwrite=work.state.overwrite,
                ),
                speed_mbps=nic.speed_mbps,
            )
            for nic in found.nics
        ]
        try:
            with work.db.transaction() as tx:
                added = nodes.merge_found_nics(tx, node_uuid, found_nics)
                nodes.save_inventory(tx, node_uuid, _report(found), applied)
                work.note("inspect", _summary(found, added, kept))
                values: dict[str, Any] = {"properties": properties, "last_error": None}
                if node.maintenance_kind == MaintenanceKind.INSPECT_FAILED:
                    values.update(maintenance=False, maintenance_kind=None, maintenance_reason=None)
                if nodes.move(tx, node_uuid, lifecycle.AVAILABLE, **values) is None:
                    raise _Moved()
                work.finish(tx)
        except Duplicate:
            raise OperationFailed(
                f"Inspection of node {mention(node)} found a NIC whose MAC address another node "
                f"has: {', '.join(n.mac_address for n in found.nics)}"
            ) from None
        except _Moved:
            work.cancel("the node's state changed while it was inspected")
            return None
        LOG.info("Node %s inspected; available", node.name)
        return None

    def _owner_inspected(
        self, work: Work[InspectState], node: NodeRow, found: HardwareInventory
    ) -> Step | None:
        """The owner inspected: keep its report, and take its node as it is now."""
        with work.db.transaction() as tx:
            nodes.save_inventory(tx, node.uuid, _report(found), {})
        sync_inventory(work.db, work.drivers)
        with work.db.transaction() as tx:
            work.note("inspect", _summary(found, [], []))
            work.finish(tx)
        return None

    def fail(self, work: Work[InspectState], message: str) -> None:
        fail_node(work, lifecycle.INSPECT_FAILED, MaintenanceKind.INSPECT_FAILED, message)


class _Moved(Exception):
    """The node left ``inspecting`` while it was inspected: nothing is written."""


def _report(found: HardwareInventory) -> dict[str, Any]:
    """The inventory as kept: the findings in Mogan's terms, and the hardware's own words."""
    return {
        "cpus": found.cpus,
        "cpu_arch": found.cpu_arch,
        "cpu_model": found.cpu_model,
        "memory_mb": found.memory_mb,
        "disks": [dataclasses.asdict(disk) for disk in found.disks],
        "nics": [dataclasses.asdict(nic) for nic in found.nics],
        "raw": dict(found.raw),
    }


def _summary(found: HardwareInventory, added: list[str], kept: list[str]) -> str:
    parts = [
        f"{found.cpus} CPUs" if found.cpus is not None else "CPUs unknown",
        f"{found.memory_mb} MiB" if found.memory_mb is not None else "memory unknown",
        f"{len(found.disks)} disk(s)",
        f"{len(found.nics)} NIC(s)",
    ]
    if added:
        parts.append(f"NICs added: {', '.join(added)}")
    if kept:
        parts.append(f"kept as set by hand: {', '.join(kept)}")
    return "; ".join(parts)
