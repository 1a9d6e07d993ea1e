"""Nodes: the physical machines operators enrol (admin API)."""

from __future__ import annotations

import builtins
import uuid as uuid_module
from dataclasses import dataclass, field
from typing import Any

from mogan.core import secrets
from mogan.core.clock import utcnow
from mogan.core.errors import Conflict, DriverError, InvalidInput
from mogan.core.pagination import PageRequest
from mogan.core.placement import parse_capabilities, resource_class_trait
from mogan.core.states import MaintenanceKind
from mogan.db import nodes
from mogan.db.database import Database, Duplicate
from mogan.db.records import NicRow, NodeRow
from mogan.drivers.base import InterfaceCheck, NodeRef
from mogan.drivers.registry import DriverRegistry
from mogan.engine.inventory import InventoryResult, sync_inventory
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.patching import apply_patch
from mogan.services.policy import Policy

WRITABLE_PATHS = (*schemas.NODE_FIELDS, *schemas.NODE_OBJECTS)


@dataclass(frozen=True)
class NodeRecord:
    node: NodeRow
    nics: list[NicRow] = field(default_factory=list)


class NodeService:
    def __init__(
        self, db: Database, policy: Policy, drivers: DriverRegistry, max_limit: int
    ) -> None:
        self._db = db
        self._policy = policy
        self._drivers = drivers
        self._max_limit = max_limit

    def list(
        self, context: RequestContext, page: PageRequest, filters: dict[str, str]
    ) -> tuple[builtins.list[NodeRecord], str | None]:
        self._policy.authorize("mogan:node:get", context)
        found = nodes.page(self._db, page, filters, max_limit=self._max_limit)
        nics = nodes.nics_of(self._db, [n.uuid for n in found.items])
        return [NodeRecord(n, nics[n.uuid]) for n in found.items], found.next_marker

    def get(self, context: RequestContext, ident: str) -> NodeRecord:
        self._policy.authorize("mogan:node:get", context)
        return self._record(nodes.find(self._db, ident))

    def create(self, context: RequestContext, request: schemas.NodeCreate) -> NodeRecord:
        self._policy.authorize("mogan:node:write", context)
        driver = self._drivers.get(request.driver)
        if driver.inventory is not None:
            raise InvalidInput(
                f"Invalid value for field 'driver': {request.driver!r} nodes are enrolled in "
                f"their own service and synced from it (POST /v1/nodes/sync), not here."
            )
        missing = [key for key in driver.required_info() if key not in request.driver_info]
        if missing:
            raise InvalidInput(
                f"Invalid value for field 'driver_info': driver "
                f"{request.driver!r} needs {', '.join(missing)}."
            )
        node = NodeRow(
            uuid=str(uuid_module.uuid4()),
            created_at=utcnow(),
            updated_at=None,
            name=request.name,
            driver=request.driver,
            driver_info=dict(request.driver_info),
            properties=self._properties(request.properties),
            resource_class=request.resource_class,
            resource_class_trait=resource_class_trait(request.resource_class),
            availability_zone=request.availability_zone,
            maintenance=False,
            maintenance_reason=None,
            maintenance_kind=None,
            leftover_instance_uuid=None,
            instance_uuid=None,
            power_state=None,
            last_error=None,
            provision_state=None,
            nic_count=len(request.nics),
            owner=request.owner,
            lessee=request.lessee,
        )
        try:
            driver.validate(NodeRef(node.uuid, node.name, node.driver_info))
        except DriverError as exc:
            raise InvalidInput(
                f"Node {request.name} failed validation by driver {request.driver!r}: {exc.message}"
            ) from None
        macs = [nic.mac_address for nic in request.nics]
        if len(set(macs)) != len(macs):
            raise InvalidInput("Invalid value for field 'nics': a MAC address appears twice.")
        nics = [
            NicRow(
                uuid=str(uuid_module.uuid4()),
                node_uuid=node.uuid,
                mac_address=nic.mac_address,
                port_type=nic.port_type,
            )
            for nic in request.nics
        ]
        try:
            with self._db.transaction() as tx:
                nodes.add(tx, node, nics)
        except Duplicate:
            raise Conflict(
                f"A node named {request.name!r}, or a NIC with one of the MAC "
                f"addresses {', '.join(macs)}, is already enrolled."
            ) from None
        return NodeRecord(node, nics)

    def update(self, context: RequestContext, ident: str, patch: Any) -> NodeRecord:
        self._policy.authorize("mogan:node:write", context)
        try:
            with self._db.transaction() as tx:
                node = nodes.find(self._db, ident, locked_in=tx)
                document = {
                    "name": node.name,
                    "driver_info": secrets.mask(node.driver_info),
                    "properties": dict(node.properties),
                    "resource_class": node.resource_class,
                    "availability_zone": node.availability_zone,
                    "maintenance": node.maintenance,
                    "maintenance_reason": node.maintenance_reason,
                    "owner": node.owner,
                    "lessee": node.lessee,
                }
                patched = schemas.parse(
                    schemas.NodeUpdate,
                    apply_patch(document, patch, WRITABLE_PATHS),
                    what="patched node",
                )
                reason = patched.maintenance_reason if patched.maintenance else None
                changes: dict[str, Any] = {
                    "name": patched.name,
                    "driver_info": secrets.keep_unchanged_secrets(
                        patched.driver_info, node.driver_info
                    ),
                    "properties": self._properties(patched.properties),
                    "resource_class": patched.resource_class,
                    "resource_class_trait": resource_class_trait(patched.resource_class),
                    "availability_zone": patched.availability_zone,
                    "maintenance": patched.maintenance,
                    "maintenance_reason": reason,
                    # A node serving an instance keeps serving it: ownership decides only
                    # what is scheduled onto the node next.
                    "owner": patched.owner,
                    "lessee": patched.lessee,
                    "updated_at": utcnow(),
                }
                if (patched.maintenance, reason) != (node.maintenance, node.maintenance_reason):
                    # The operator decided: their maintenance, or none (whatever set it).
                    changes["maintenance_kind"] = (
                        MaintenanceKind.OPERATOR.value if patched.maintenance else None
                    )
                    changes["leftover_instance_uuid"] = None
                nodes.NODES.update(tx, node.uuid, **changes)
        except Duplicate:
            raise Conflict(f"Another node is already named {patched.name!r}.") from None
        return self._record(node._replace(**changes))

    def validate(self, context: RequestContext, ident: str) -> dict[str, InterfaceCheck]:
        """Check each capability of the node against its hardware, as Ironic's validate does."""
        self._policy.authorize("mogan:node:get", context)
        node = nodes.find(self._db, ident)
        driver = self._drivers.get(node.driver)
        return driver.validate_interfaces(NodeRef(node.uuid, node.name, dict(node.driver_info)))

    def delete(self, context: RequestContext, ident: str) -> None:
        self._policy.authorize("mogan:node:write", context)
        with self._db.transaction() as tx:
            node = nodes.find(self._db, ident, locked_in=tx)
            if node.instance_uuid is not None:
                raise Conflict(
                    f"Node {ident} serves instance {node.instance_uuid}; delete the instance first."
                )
            nodes.NODES.delete(tx, node.uuid)

    def sync(self, context: RequestContext) -> InventoryResult:
        """Sync the nodes of every driver with an inventory of its own, now, all of them."""
        self._policy.authorize("mogan:node:sync", context)
        if not any(self._drivers.get(n).inventory for n in self._drivers.names):
            # A well-formed request this deployment cannot carry out: not the caller's input.
            raise Conflict(
                "No enabled driver has an inventory to sync (enable 'ironic' in "
                "[DEFAULT] enabled_drivers)."
            )
        return sync_inventory(self._db, self._drivers)

    def _record(self, node: NodeRow) -> NodeRecord:
        return NodeRecord(node, nodes.nics_of(self._db, [node.uuid])[node.uuid])

    @staticmethod
    def _properties(properties: schemas.NodeProperties) -> dict[str, Any]:
        result = properties.model_dump(exclude_none=True)
        try:
            result["capabilities"] = parse_capabilities(result.get("capabilities"))
        except ValueError as exc:
            raise InvalidInput(
                f"Invalid value for field 'properties.capabilities': {exc}."
            ) from None
        return result
