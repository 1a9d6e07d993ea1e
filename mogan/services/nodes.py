"""Nodes: the physical machines operators enrol (admin API)."""

from __future__ import annotations

import builtins
import uuid as uuid_module
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mogan.core import secrets
from mogan.core.errors import Conflict, DriverError, InvalidInput, NotFound
from mogan.core.pagination import PageRequest
from mogan.core.placement import parse_capabilities, resource_class_trait
from mogan.core.states import MaintenanceKind
from mogan.db.database import Database
from mogan.db.models import Nic, Node
from mogan.db.pagination import paginate
from mogan.drivers.base import InterfaceCheck, NodeRef
from mogan.drivers.registry import DriverRegistry
from mogan.engine.inventory import InventoryResult, sync_inventory
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.lookup import get_or_404
from mogan.services.patching import apply_patch
from mogan.services.policy import Policy

SORT_KEYS = ("name", "created_at", "uuid")
WRITABLE_PATHS = (
    "/name",
    "/driver_info",
    "/properties",
    "/resource_class",
    "/availability_zone",
    "/maintenance",
    "/maintenance_reason",
)


@dataclass
class NodeRecord:
    node: Node
    nics: list[Nic] = field(default_factory=list)


def _bool_filter(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise InvalidInput(f"Invalid value for filter '{name}': {value!r} is not a boolean.")


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
        query = select(Node)
        for name, value in filters.items():
            if name == "maintenance":
                query = query.where(Node.maintenance.is_(_bool_filter(name, value)))
            elif name == "associated":
                associated = _bool_filter(name, value)
                query = query.where(
                    Node.instance_uuid.is_not(None) if associated else Node.instance_uuid.is_(None)
                )
            elif name in ("resource_class", "availability_zone", "driver"):
                query = query.where(getattr(Node, name) == value)
            else:
                raise InvalidInput(f"Unknown filter '{name}'.")
        with self._db.read() as session:
            result = paginate(
                session,
                query,
                Node,
                page,
                sort_keys=SORT_KEYS,
                default_sort="name",
                max_limit=self._max_limit,
            )
            nics = self._nics(session, [n.uuid for n in result.items])
        return [NodeRecord(n, nics[n.uuid]) for n in result.items], result.next_marker

    def get(self, context: RequestContext, ident: str) -> NodeRecord:
        self._policy.authorize("mogan:node:get", context)
        with self._db.read() as session:
            node = self._find(session, ident)
            return NodeRecord(node, self._nics(session, [node.uuid])[node.uuid])

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
        properties = self._properties(request.properties)
        node = Node(
            uuid=str(uuid_module.uuid4()),
            name=request.name,
            driver=request.driver,
            driver_info=dict(request.driver_info),
            properties=properties,
            resource_class=request.resource_class,
            resource_class_trait=resource_class_trait(request.resource_class),
            availability_zone=request.availability_zone,
            maintenance=False,
            nic_count=len(request.nics),
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
            Nic(
                uuid=str(uuid_module.uuid4()),
                node_uuid=node.uuid,
                mac_address=nic.mac_address,
                port_type=nic.port_type,
            )
            for nic in request.nics
        ]
        try:
            with self._db.write() as session:
                session.add(node)
                session.flush()
                session.add_all(nics)
        except IntegrityError:
            raise Conflict(
                f"A node named {request.name!r}, or a NIC with one of the MAC "
                f"addresses {', '.join(macs)}, is already enrolled."
            ) from None
        return NodeRecord(node, nics)

    def update(self, context: RequestContext, ident: str, patch: Any) -> NodeRecord:
        self._policy.authorize("mogan:node:write", context)
        try:
            with self._db.write() as session:
                node = self._find(session, ident, for_update=True)
                document = {
                    "name": node.name,
                    "driver_info": secrets.mask(node.driver_info),
                    "properties": dict(node.properties),
                    "resource_class": node.resource_class,
                    "availability_zone": node.availability_zone,
                    "maintenance": node.maintenance,
                    "maintenance_reason": node.maintenance_reason,
                }
                patched = schemas.parse(
                    schemas.NodeUpdate,
                    apply_patch(document, patch, WRITABLE_PATHS),
                    what="patched node",
                )
                node.name = patched.name
                node.driver_info = secrets.keep_unchanged_secrets(
                    patched.driver_info, node.driver_info
                )
                node.properties = self._properties(patched.properties)
                node.resource_class = patched.resource_class
                node.resource_class_trait = resource_class_trait(patched.resource_class)
                node.availability_zone = patched.availability_zone
                reason = patched.maintenance_reason if patched.maintenance else None
                if (patched.maintenance, reason) != (node.maintenance, node.maintenance_reason):
                    # The operator decided: their maintenance, or none (whatever set it).
                    node.maintenance_kind = (
                        MaintenanceKind.OPERATOR.value if patched.maintenance else None
                    )
                    node.leftover_instance_uuid = None
                node.maintenance = patched.maintenance
                node.maintenance_reason = reason
                session.flush()
                nics = self._nics(session, [node.uuid])[node.uuid]
        except IntegrityError:
            raise Conflict(f"Another node is already named {patched.name!r}.") from None
        return NodeRecord(node, nics)

    def validate(self, context: RequestContext, ident: str) -> dict[str, InterfaceCheck]:
        """Check each capability of the node against its hardware, as Ironic's validate does."""
        self._policy.authorize("mogan:node:get", context)
        with self._db.read() as session:
            node = self._find(session, ident)
        driver = self._drivers.get(node.driver)
        return driver.validate_interfaces(NodeRef(node.uuid, node.name, dict(node.driver_info)))

    def delete(self, context: RequestContext, ident: str) -> None:
        self._policy.authorize("mogan:node:write", context)
        with self._db.write() as session:
            node = self._find(session, ident, for_update=True)
            if node.instance_uuid is not None:
                raise Conflict(
                    f"Node {ident} serves instance {node.instance_uuid}; delete the instance first."
                )
            session.delete(node)

    def sync(self, context: RequestContext) -> InventoryResult:
        """Sync the nodes of every driver with an inventory of its own, now, all of them."""
        self._policy.authorize("mogan:node:sync", context)
        if not any(self._drivers.get(n).inventory for n in self._drivers.names):
            raise InvalidInput(
                "No enabled driver has an inventory to sync (enable 'ironic' in "
                "[DEFAULT] enabled_drivers)."
            )
        return sync_inventory(self._db, self._drivers)

    def _find(self, session: Any, ident: str, *, for_update: bool = False) -> Node:
        """By UUID, or by name as operators refer to nodes."""
        options = {"with_for_update": True} if for_update and not self._db.is_sqlite else {}
        try:
            return get_or_404(session, Node, ident, "Node", **options)
        except NotFound:
            query = select(Node).where(Node.name == ident)
            if options:
                query = query.with_for_update()
            node = session.scalars(query).first()
            if node is None:
                raise
            return node

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

    @staticmethod
    def _nics(session: Any, node_uuids: builtins.list[str]) -> dict[str, builtins.list[Nic]]:
        result: dict[str, builtins.list[Nic]] = {u: [] for u in node_uuids}
        if node_uuids:
            for nic in session.scalars(
                select(Nic).where(Nic.node_uuid.in_(node_uuids)).order_by(Nic.mac_address)
            ):
                result[nic.node_uuid].append(nic)
        return result
