"""Work on instances: a create's deploy, a delete's tear-down, a rebuild, a power change,
an adoption. The caller has already moved the instance to the status the work starts from
(``building``, ``deleting``…) in the same transaction."""

from __future__ import annotations

from mogan.core.images import ImageFacts
from mogan.core.operations import (
    AdoptState,
    CreateState,
    DeleteState,
    InterfaceState,
    OperationState,
    PowerState,
    RebuildState,
    RescueState,
)
from mogan.core.states import PowerTarget
from mogan.db import actions, queue
from mogan.db.database import Database, Executor
from mogan.db.records import InstanceRow
from mogan.operations.requester import Requester


def _request(
    tx: Executor,
    db: Database,
    requester: Requester,
    instance: InstanceRow,
    action: str,
    state: OperationState,
    *,
    message: str | None = None,
) -> int:
    actions.start(
        tx,
        subject_uuid=instance.uuid,
        request_id=requester.request_id,
        action=action,
        project_id=instance.project_id,
        user_id=requester.user_id,
        message=message,
    )
    return queue.enqueue(db, tx, instance.uuid, state)


def request_create(
    tx: Executor, db: Database, requester: Requester, instance: InstanceRow, state: CreateState
) -> int:
    """Queue the deploy of a ``building`` instance (``state`` says where and how)."""
    return _request(tx, db, requester, instance, "create", state)


def request_delete(tx: Executor, db: Database, requester: Requester, instance: InstanceRow) -> int:
    """Queue the tear-down of a ``deleting`` instance."""
    return _request(
        tx, db, requester, instance, "delete", DeleteState(request_id=requester.request_id)
    )


def request_rebuild(
    tx: Executor,
    db: Database,
    requester: Requester,
    instance: InstanceRow,
    *,
    image_uuid: str,
    extra_specs: dict[str, str],
    preserve_ephemeral: bool,
    image: ImageFacts | None = None,
) -> int:
    """Queue the redeploy of a ``rebuilding`` instance on its node, from ``image_uuid``
    (``image``: that image as Glance showed it to the caller)."""
    state = RebuildState(
        request_id=requester.request_id,
        extra_specs=extra_specs,
        preserve_ephemeral=preserve_ephemeral,
        image=image,
    )
    return _request(tx, db, requester, instance, "rebuild", state, message=f"image {image_uuid}")


def request_power(
    tx: Executor, db: Database, requester: Requester, instance: InstanceRow, *, target: PowerTarget
) -> int:
    """Queue the power change to ``target`` of an instance whose ``target_power_state`` is
    already the state that fulfils it."""
    state = PowerState(request_id=requester.request_id, action=target, target=target.observed)
    return _request(tx, db, requester, instance, target.action, state)


def request_adopt(
    tx: Executor, db: Database, requester: Requester, instance: InstanceRow, node_uuid: str
) -> int:
    """Queue the adoption of the deployment on ``node_uuid`` by a ``building`` instance."""
    state = AdoptState(request_id=requester.request_id, node_uuid=node_uuid)
    return _request(tx, db, requester, instance, "adopt", state)


def request_interface(
    tx: Executor, db: Database, requester: Requester, instance: InstanceRow, state: InterfaceState
) -> int:
    """Queue an interface attach (or, ``state.detach``, a detach) on an active instance."""
    message: str | None
    if state.detach:
        action, message = "detach_interface", f"port {state.port_uuid}"
    else:
        network = state.network
        action = "attach_interface"
        message = f"port {network.port_id}" if network and network.port_id else None
        if message is None and network is not None:
            message = f"network {network.net_id}"
    return _request(tx, db, requester, instance, action, state, message=message)


def request_rescue(
    tx: Executor, db: Database, requester: Requester, instance: InstanceRow, state: RescueState
) -> int:
    """Queue a rescue (or, ``state.unrescue``, an unrescue) of an instance already moved to
    ``rescuing`` (``unrescuing``)."""
    if state.unrescue:
        return _request(tx, db, requester, instance, "unrescue", state)
    image = state.image.uuid if state.image else state.image_uuid
    message = f"image {image}" if image else None
    return _request(tx, db, requester, instance, "rescue", state, message=message)
