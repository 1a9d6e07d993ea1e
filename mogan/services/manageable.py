"""Manageable instances: deployed nodes of an owner service (Ironic) that serve no Mogan
instance yet, and their adoption as instances of a project without redeploying."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mogan.core.capabilities import DriverCatalog
from mogan.core.errors import Conflict, InvalidInput, NotFound
from mogan.core.lifecycle import ACTIVE
from mogan.db import instances, nodes, types
from mogan.db.database import Database
from mogan.db.images import IMAGES
from mogan.operations.instances import request_adopt
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.create import building_instance
from mogan.services.instances import InstanceRecord
from mogan.services.policy import Policy


class ManageableService:
    def __init__(
        self,
        db: Database,
        policy: Policy,
        drivers: DriverCatalog,
        wake_engine: Callable[[], None],
    ) -> None:
        self._db = db
        self._policy = policy
        self._drivers = drivers
        self._wake_engine = wake_engine

    def _managed_drivers(self) -> list[str]:
        return [n for n in self._drivers.names if self._drivers.capabilities(n).has_inventory]

    def list(self, context: RequestContext) -> list[dict[str, Any]]:
        """Active nodes of managed drivers that serve no instance, as last synced."""
        self._policy.authorize("mogan:manageable_instance:get_all", context)
        found = nodes.deployed_and_free(self._db, self._managed_drivers())
        nics = nodes.nics_of(self._db, [n.uuid for n in found])
        return [
            {
                "node_uuid": n.uuid,
                "name": n.name,
                "resource_class": n.resource_class,
                "properties": n.properties or {},
                "availability_zone": n.availability_zone,
                "power_state": n.power_state,
                "provision_state": n.provision_state,
                "mac_addresses": [nic.mac_address for nic in nics[n.uuid]],
            }
            for n in found
        ]

    def adopt(self, context: RequestContext, request: schemas.AdoptRequest) -> InstanceRecord:
        """Accept the adoption: the instance is ``building`` until the engine has done it."""
        self._policy.authorize("mogan:manageable_instance:adopt", context)
        with self._db.transaction() as tx:
            try:
                node = nodes.find(self._db, request.node, locked_in=tx)
            except NotFound:
                raise InvalidInput(
                    f"Invalid value for field 'node': node {request.node} was not found."
                ) from None
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
            if types.TYPES.get(self._db, request.instance_type_uuid) is None:
                raise InvalidInput(
                    f"Invalid value for field 'instance_type_uuid': instance type "
                    f"{request.instance_type_uuid} was not found."
                )
            if IMAGES.get(self._db, request.image_uuid) is None:
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
            instances.add(tx, instance)
            request_adopt(tx, self._db, context.requester, instance, node.uuid)
        self._wake_engine()
        return InstanceRecord(instance)
