"""Nodes: the physical machines operators enrol (admin API)."""

from __future__ import annotations

import builtins
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mogan.core import hosts, lifecycle, secrets
from mogan.core.capabilities import DriverCatalog
from mogan.core.clock import utcnow
from mogan.core.errors import Conflict, InvalidInput, NotFound
from mogan.core.lifecycle import CleaningMode
from mogan.core.pagination import PageRequest
from mogan.core.placement import parse_capabilities, resource_class_trait
from mogan.core.states import MaintenanceKind
from mogan.db import actions, deploy_templates, nodes, stats, traits
from mogan.db.database import Database, Duplicate, Executor
from mogan.db.records import ActionEventRow, ActionRow, NicRow, NodeInventoryRow, NodeRow
from mogan.operations.inventory import INVENTORY_UUID, request_sync
from mogan.operations.nodes import (
    check_cleaning_mode,
    cleaning_mode,
    request_clean,
    request_inspection,
    request_verification,
)
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.patching import apply_patch
from mogan.services.policy import Policy

WRITABLE_PATHS = (*schemas.NODE_FIELDS, *schemas.NODE_OBJECTS)


@dataclass(frozen=True)
class NodeRecord:
    node: NodeRow
    nics: list[NicRow] = field(default_factory=list)
    #: What its BIOS and RAID hold after deploy templates ran (shown on the node alone).
    configuration: dict[str, Any] | None = None


class NodeService:
    def __init__(
        self,
        db: Database,
        policy: Policy,
        drivers: DriverCatalog,
        max_limit: int,
        *,
        wake: Callable[[], None] = lambda: None,
        cleaning_mode: str = CleaningMode.METADATA.value,
    ) -> None:
        self._db = db
        self._policy = policy
        self._drivers = drivers
        self._max_limit = max_limit
        self._wake = wake
        self._cleaning_mode = cleaning_mode

    def list(
        self, context: RequestContext, page: PageRequest, filters: dict[str, str]
    ) -> tuple[builtins.list[NodeRecord], str | None]:
        self._policy.authorize("mogan:node:get", context)
        found = nodes.page(self._db, page, filters, max_limit=self._max_limit)
        nics = nodes.nics_of(self._db, [n.uuid for n in found.items])
        return [NodeRecord(n, nics[n.uuid]) for n in found.items], found.next_marker

    def get(self, context: RequestContext, ident: str) -> NodeRecord:
        self._policy.authorize("mogan:node:get", context)
        record = self._record(nodes.find(self._db, ident))
        configuration = deploy_templates.configuration(self._db, record.node.uuid)
        return NodeRecord(record.node, record.nics, configuration)

    def create(self, context: RequestContext, request: schemas.NodeCreate) -> NodeRecord:
        self._policy.authorize("mogan:node:write", context)
        driver = self._drivers.capabilities(request.driver)
        if driver.has_inventory:
            raise InvalidInput(
                f"Invalid value for field 'driver': {request.driver!r} nodes are enrolled in "
                f"their own service and synced from it (POST /v1/nodes/sync), not here."
            )
        missing = [key for key in driver.required_info if key not in request.driver_info]
        if missing:
            raise InvalidInput(
                f"Invalid value for field 'driver_info': driver "
                f"{request.driver!r} needs {', '.join(missing)}."
            )
        check_cleaning_mode(request.driver_info)
        if request.inspect and not driver.can_inspect:
            raise InvalidInput(
                f"Invalid value for field 'inspect': driver {request.driver!r} cannot inspect."
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
            provision_state=lifecycle.ENROLL,
            nic_count=len(request.nics),
            owner=request.owner,
            lessee=request.lessee,
        )
        macs = [nic.mac_address for nic in request.nics]
        if len(set(macs)) != len(macs):
            raise InvalidInput("Invalid value for field 'nics': a MAC address appears twice.")
        nics = [
            NicRow(
                uuid=str(uuid_module.uuid4()),
                node_uuid=node.uuid,
                mac_address=nic.mac_address,
                port_type=nic.port_type,
                local_link_connection=nic.local_link_connection.model_dump(exclude_none=True)
                if nic.local_link_connection
                else None,
            )
            for nic in request.nics
        ]
        try:
            with self._db.transaction() as tx:
                nodes.add(tx, node, nics)
                moved = request_verification(
                    tx, self._db, context.requester, node, inspect=request.inspect
                )
        except Duplicate:
            raise Conflict(
                f"A node named {request.name!r}, or a NIC with one of the MAC "
                f"addresses {', '.join(macs)}, is already enrolled."
            ) from None
        self._wake()
        return NodeRecord(moved or node, nics)

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
                check_cleaning_mode(patched.driver_info)
                lifted = node.maintenance and not patched.maintenance
                if (patched.maintenance, reason) != (node.maintenance, node.maintenance_reason):
                    # The operator decided: their maintenance, or none (whatever set it).
                    changes["maintenance_kind"] = (
                        MaintenanceKind.OPERATOR.value if patched.maintenance else None
                    )
                    changes["leftover_instance_uuid"] = None
                nodes.NODES.update(tx, node.uuid, **changes)
                node = node._replace(**changes)
                if lifted:
                    node = self._after_maintenance(tx, context, node)
        except Duplicate:
            raise Conflict(f"Another node is already named {patched.name!r}.") from None
        if lifted:
            self._wake()
        return self._record(node)

    # -- traits (Ironic's ``/v1/nodes/{node}/traits``) ------------------------------------------

    def traits(self, context: RequestContext, ident: str) -> builtins.list[str]:
        self._policy.authorize("mogan:node:get", context)
        return traits.of_node(self._db, nodes.find(self._db, ident).uuid)

    def set_traits(self, context: RequestContext, ident: str, wanted: builtins.list[str]) -> None:
        """The node's traits become ``wanted`` (types select nodes with ``trait:`` specs)."""
        self._policy.authorize("mogan:node:traits", context)
        with self._db.transaction() as tx:
            node = nodes.find(self._db, ident, locked_in=tx)
            self._own_traits(node, ident)
            traits.replace(tx, node.uuid, wanted)
            nodes.NODES.update(tx, node.uuid, updated_at=utcnow())

    def _own_traits(self, node: Any, ident: str) -> None:
        """``Conflict`` for a node whose traits are its owner's (Ironic's, mirrored)."""
        if (
            node.driver in self._drivers.names
            and self._drivers.capabilities(node.driver).has_inventory
        ):
            raise Conflict(
                f"Node {ident}'s traits are {node.driver}'s: set them there; the sync brings them."
            )

    def add_trait(self, context: RequestContext, ident: str, trait: str) -> None:
        self._policy.authorize("mogan:node:traits", context)
        checked = schemas.check_trait(trait)
        with self._db.transaction() as tx:
            node = nodes.find(self._db, ident, locked_in=tx)
            self._own_traits(node, ident)
            held = traits.of_node(tx, node.uuid)
            if checked not in held and len(held) >= schemas.MAX_TRAITS:
                raise InvalidInput(f"Node {ident} has {schemas.MAX_TRAITS} traits, the most.")
            traits.add(tx, node.uuid, checked)

    def remove_trait(self, context: RequestContext, ident: str, trait: str) -> None:
        self._policy.authorize("mogan:node:traits", context)
        with self._db.transaction() as tx:
            node = nodes.find(self._db, ident, locked_in=tx)
            self._own_traits(node, ident)
            if not traits.remove(tx, node.uuid, trait):
                raise NotFound(f"Node {ident} has no trait {trait}.")

    def set_maintenance(self, context: RequestContext, ident: str, reason: str | None) -> None:
        """Put the node in the operator's maintenance, for ``reason`` (Ironic's
        ``PUT /v1/nodes/{node}/maintenance``): nothing new is scheduled onto it."""
        self._policy.authorize("mogan:node:maintenance", context)
        with self._db.transaction() as tx:
            node = nodes.find(self._db, ident, locked_in=tx)
            nodes.NODES.update(
                tx,
                node.uuid,
                maintenance=True,
                maintenance_reason=reason,
                maintenance_kind=MaintenanceKind.OPERATOR.value,
                updated_at=utcnow(),
            )

    def unset_maintenance(self, context: RequestContext, ident: str) -> None:
        """Lift the node's maintenance, whatever set it. A node whose clean (or clean-up)
        failed is cleaned again, and is available once that succeeds; one whose inspection
        failed becomes available with the properties it has."""
        self._policy.authorize("mogan:node:maintenance", context)
        with self._db.transaction() as tx:
            node = nodes.find(self._db, ident, locked_in=tx)
            lifted: dict[str, Any] = {
                "maintenance": False,
                "maintenance_reason": None,
                "maintenance_kind": None,
                "leftover_instance_uuid": None,
                "updated_at": utcnow(),
            }
            nodes.NODES.update(tx, node.uuid, **lifted)
            self._after_maintenance(tx, context, node._replace(**lifted))
        self._wake()

    def _after_maintenance(self, tx: Executor, context: RequestContext, node: NodeRow) -> NodeRow:
        """What lifting a node's maintenance starts, in the same transaction."""
        if node.provision_state == lifecycle.CLEAN_FAILED:
            mode = cleaning_mode(node.driver_info, self._cleaning_mode)
            moved = request_clean(tx, self._db, context.requester, node, mode=mode)
            return moved or node
        if node.provision_state == lifecycle.INSPECT_FAILED:
            return nodes.move(tx, node.uuid, lifecycle.AVAILABLE) or node
        return node

    def inspect(self, context: RequestContext, ident: str, overwrite: bool) -> NodeRecord:
        """Start an inspection of the node (``inspecting`` until it ends)."""
        self._policy.authorize("mogan:node:inspect", context)
        with self._db.transaction() as tx:
            node = nodes.find(self._db, ident, locked_in=tx)
            self._check_free(node, "inspected")
            if not self._drivers.capabilities(node.driver).can_inspect:
                raise Conflict(f"Driver {node.driver!r} of node {ident} cannot inspect.")
            moved = request_inspection(
                tx, self._db, context.requester, node.uuid, overwrite=overwrite
            )
            if moved is None:
                raise self._wrong_state(node, "inspected", lifecycle.INSPECTABLE)
        self._wake()
        return self._record(moved)

    def clean(self, context: RequestContext, ident: str, mode: str | None) -> NodeRecord:
        """Start a clean of the node (``cleaning`` until it ends), in ``mode`` or the node's
        own mode."""
        self._policy.authorize("mogan:node:clean", context)
        with self._db.transaction() as tx:
            node = nodes.find(self._db, ident, locked_in=tx)
            self._check_free(node, "cleaned")
            if not self._drivers.capabilities(node.driver).can_clean:
                raise Conflict(f"Driver {node.driver!r} of node {ident} cannot clean.")
            chosen = (
                CleaningMode(mode) if mode else cleaning_mode(node.driver_info, self._cleaning_mode)
            )
            moved = request_clean(tx, self._db, context.requester, node, mode=chosen)
            if moved is None:
                raise self._wrong_state(node, "cleaned", lifecycle.CLEANABLE)
        self._wake()
        return self._record(moved)

    def inventory(self, context: RequestContext, ident: str) -> NodeInventoryRow:
        """What the node's last inspection found; ``Conflict`` before the first one ended
        (the node exists; its inventory does not yet, as ``validate`` before a verification)."""
        self._policy.authorize("mogan:node:get", context)
        node = nodes.find(self._db, ident)
        found = nodes.inventory_of(self._db, node.uuid)
        if found is None:
            raise Conflict(f"Node {ident} has not been inspected (POST /v1/nodes/{ident}/inspect).")
        return found

    def history(
        self, context: RequestContext, ident: str
    ) -> builtins.list[tuple[ActionRow, builtins.list[ActionEventRow]]]:
        """The node's inspections and cleans, newest first, with each one's steps."""
        self._policy.authorize("mogan:node:get", context)
        node = nodes.find(self._db, ident)
        return actions.with_events(self._db, node.uuid, limit=self._max_limit)

    @staticmethod
    def _check_free(node: NodeRow, what: str) -> None:
        if node.instance_uuid is not None:
            raise Conflict(
                f"Node {node.name} serves instance {node.instance_uuid}; it cannot be {what} "
                "until the instance is deleted."
            )

    @staticmethod
    def _wrong_state(node: NodeRow, what: str, allowed: frozenset[str]) -> Conflict:
        return Conflict(
            f"Node {node.name} is {node.provision_state!r}; it can be {what} only when "
            f"{' or '.join(repr(s) for s in sorted(allowed))}."
        )

    def validate(self, context: RequestContext, ident: str) -> dict[str, Any]:
        """What the node's last verification found, per interface (power, management,
        boot, deploy), as Ironic's validate says it; ``Conflict`` before the first one
        ended."""
        self._policy.authorize("mogan:node:get", context)
        node = nodes.find(self._db, ident)
        checks = nodes.interface_checks_of(self._db, node.uuid)
        if checks is None:
            raise Conflict(
                f"Node {ident} has not been verified yet (it is {node.provision_state!r}); "
                f"POST /v1/nodes/{ident}/verify checks it."
            )
        return {
            name: {**check, "reason": check["reason"] and hosts.for_operator(check["reason"])}
            for name, check in checks.items()
        }

    def verify(self, context: RequestContext, ident: str) -> NodeRecord:
        """Queue a check of the node's BMC and interfaces (``GET …/validate`` then says
        what it found). A node in ``enroll`` (whose last check failed) is ``verifying``
        until it ends, then ``available`` or back in ``enroll``."""
        self._policy.authorize("mogan:node:verify", context)
        with self._db.transaction() as tx:
            node = nodes.find(self._db, ident, locked_in=tx)
            if self._drivers.capabilities(node.driver).has_inventory:
                raise Conflict(
                    f"Node {ident} is enrolled in its driver's own service, which checks it; "
                    "its state comes back by the inventory sync."
                )
            moved = request_verification(tx, self._db, context.requester, node)
            if moved is None:
                raise Conflict(f"Node {ident} changed while being verified; try again.")
        self._wake()
        return self._record(moved)

    def delete(self, context: RequestContext, ident: str) -> None:
        self._policy.authorize("mogan:node:write", context)
        with self._db.transaction() as tx:
            node = nodes.find(self._db, ident, locked_in=tx)
            if node.instance_uuid is not None:
                raise Conflict(
                    f"Node {ident} serves instance {node.instance_uuid}; delete the instance first."
                )
            if node.provision_state in (
                lifecycle.VERIFYING,
                lifecycle.CLEANING,
                lifecycle.INSPECTING,
            ):
                raise Conflict(
                    f"Node {ident} is {node.provision_state!r}; wait until that ends (or it "
                    "fails) before deleting the node."
                )
            nodes.NODES.delete(tx, node.uuid)

    def sync(self, context: RequestContext) -> tuple[ActionRow, builtins.list[ActionEventRow]]:
        """Queue a sync of the nodes of every driver with an inventory of its own; its
        record (``sync_history``) says what it changed once it has run."""
        self._policy.authorize("mogan:node:sync", context)
        if not any(self._drivers.capabilities(n).has_inventory for n in self._drivers.names):
            # A well-formed request this deployment cannot carry out: not the caller's input.
            raise Conflict(
                "No enabled driver has an inventory to sync (enable 'ironic' in "
                "[DEFAULT] enabled_drivers)."
            )
        with self._db.transaction() as tx:
            subject = request_sync(tx, self._db, context.requester)
        self._wake()
        found = actions.get(self._db, subject, context.request_id)
        assert found is not None  # just committed
        return found

    def summary(self, context: RequestContext) -> builtins.list[stats.NodeGroup]:
        """The fleet counted by provision state, maintenance, association and zone."""
        self._policy.authorize("mogan:node:get", context)
        return stats.node_groups(self._db)

    def sync_history(
        self, context: RequestContext
    ) -> builtins.list[tuple[ActionRow, builtins.list[ActionEventRow]]]:
        """The syncs operators asked for, newest first, with what each changed."""
        self._policy.authorize("mogan:node:get", context)
        return actions.with_events(self._db, INVENTORY_UUID, limit=self._max_limit)

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
