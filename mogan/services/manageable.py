"""Manageable instances: deployed nodes of an owner service (Ironic) that serve no Mogan
instance yet, and their adoption as instances of a project without redeploying."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from mogan.core.errors import Conflict, InvalidInput
from mogan.core.identifiers import canonical_uuid
from mogan.core.operations import AdoptState
from mogan.db import instances, queue
from mogan.db.database import Database
from mogan.db.models import Image, InstanceType, Nic, Node
from mogan.drivers.base import ACTIVE
from mogan.drivers.registry import DriverRegistry
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.instances import InstanceRecord, building_instance
from mogan.services.policy import Policy


class ManageableService:
    def __init__(
        self,
        db: Database,
        policy: Policy,
        drivers: DriverRegistry,
        wake_engine: Callable[[], None],
    ) -> None:
        self._db = db
        self._policy = policy
        self._drivers = drivers
        self._wake_engine = wake_engine

    def _managed_drivers(self) -> list[str]:
        return [n for n in self._drivers.names if self._drivers.get(n).inventory is not None]

    def list(self, context: RequestContext) -> list[dict[str, Any]]:
        """Active nodes of managed drivers that serve no instance, as last synced."""
        self._policy.authorize("mogan:manageable_instance:get_all", context)
        with self._db.read() as session:
            nodes = session.scalars(
                select(Node)
                .where(
                    Node.driver.in_(self._managed_drivers()),
                    Node.provision_state == ACTIVE,
                    Node.instance_uuid.is_(None),
                )
                .order_by(Node.name)
            ).all()
            macs: dict[str, list[str]] = {n.uuid: [] for n in nodes}
            for nic in session.scalars(
                select(Nic).where(Nic.node_uuid.in_(list(macs))).order_by(Nic.mac_address)
            ):
                macs[nic.node_uuid].append(nic.mac_address)
        return [
            {
                "node_uuid": n.uuid,
                "name": n.name,
                "resource_class": n.resource_class,
                "properties": n.properties or {},
                "availability_zone": n.availability_zone,
                "power_state": n.power_state,
                "provision_state": n.provision_state,
                "mac_addresses": macs[n.uuid],
            }
            for n in nodes
        ]

    def adopt(self, context: RequestContext, request: schemas.AdoptRequest) -> InstanceRecord:
        """Accept the adoption: the instance is ``building`` until the engine has done it."""
        self._policy.authorize("mogan:manageable_instance:adopt", context)
        with self._db.write() as session:
            node = self._node(session, request.node)
            if node.driver not in self._managed_drivers():
                raise InvalidInput(
                    f"Invalid value for field 'node': node {request.node} is a {node.driver!r} "
                    "node; only nodes synced from Ironic can be adopted."
                )
            if node.instance_uuid is not None or node.provision_state != ACTIVE:
                raise Conflict(
                    f"Node {request.node} cannot be adopted: "
                    + (
                        f"it serves instance {node.instance_uuid}."
                        if node.instance_uuid
                        else f"its provision state is {node.provision_state!r}, not 'active'."
                    )
                )
            if session.get(InstanceType, request.instance_type_uuid) is None:
                raise InvalidInput(
                    f"Invalid value for field 'instance_type_uuid': instance type "
                    f"{request.instance_type_uuid} was not found."
                )
            if session.get(Image, request.image_uuid) is None:
                raise InvalidInput(
                    f"Invalid value for field 'image_uuid': image {request.image_uuid} "
                    "was not found."
                )
            instance = building_instance(
                name=request.name,
                description=request.description,
                project_id=request.project_id,
                user_id=request.user_id or context.user_id,
                instance_type_uuid=request.instance_type_uuid,
                image_uuid=request.image_uuid,
                availability_zone=node.availability_zone,
                extra=request.extra,
            )
            instances.add(session, instance)
            queue.enqueue(
                self._db,
                session,
                instance.uuid,
                AdoptState(request_id=context.request_id, node_uuid=node.uuid),
            )
        self._wake_engine()
        return InstanceRecord(instance)

    @staticmethod
    def _node(session: Any, ident: str) -> Node:
        key = canonical_uuid(ident)
        node = session.get(Node, key) if key else None
        if node is None:
            node = session.scalars(select(Node).where(Node.name == ident)).first()
        if node is None:
            raise InvalidInput(f"Invalid value for field 'node': node {ident} was not found.")
        return node
