"""Notifications about instances, emitted by the engine after its changes are committed."""

from __future__ import annotations

from sqlalchemy import select

from mogan.core import states
from mogan.db.database import Database
from mogan.db.models import Instance, InstanceFault
from mogan.notifications import Notifier, instance_payload


def snapshot(db: Database, instance_uuid: str) -> Instance | None:
    with db.read() as session:
        return session.get(Instance, instance_uuid)


def emit(
    db: Database,
    notifier: Notifier,
    event_type: str,
    instance_uuid: str,
    *,
    before: Instance | None = None,
    priority: str = "INFO",
) -> None:
    """Emit ``event_type`` with the instance as it is now (or, once deleted, as it was).

    Reads nothing when notifications are off.
    """
    if not notifier.enabled:
        return
    with db.read() as session:
        instance = session.get(Instance, instance_uuid)
        fault = None
        if instance is not None and instance.status == states.ERROR:
            fault = session.scalars(
                select(InstanceFault)
                .where(InstanceFault.instance_uuid == instance_uuid)
                .order_by(InstanceFault.id.desc())
                .limit(1)
            ).first()
    if instance is None and before is None:
        return
    payload = instance_payload(instance or before, fault)
    if instance is None:
        payload["mogan_object.data"]["status"] = "deleted"
    notifier.emit(event_type, payload, priority)
