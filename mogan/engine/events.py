"""Notifications about instances and nodes, emitted by the engine after its changes are
committed."""

from __future__ import annotations

from typing import Protocol

from mogan.core import states
from mogan.db import instances, nodes
from mogan.db.database import Database
from mogan.db.records import InstanceRow
from mogan.notifications import Notifier, instance_payload, node_payload


def snapshot(db: Database, instance_uuid: str) -> InstanceRow | None:
    return instances.get(db, instance_uuid)


class Emitter(Protocol):
    def __call__(
        self,
        db: Database,
        notifier: Notifier,
        event_type: str,
        subject_uuid: str,
        /,
        *,
        before: InstanceRow | None = None,
        priority: str = "INFO",
    ) -> None: ...


def emit_nothing(
    db: Database,
    notifier: Notifier,
    event_type: str,
    subject_uuid: str,
    *,
    before: InstanceRow | None = None,
    priority: str = "INFO",
) -> None:
    """For operations nobody subscribes to."""


def emit(
    db: Database,
    notifier: Notifier,
    event_type: str,
    instance_uuid: str,
    *,
    before: InstanceRow | None = None,
    priority: str = "INFO",
) -> None:
    """Emit ``event_type`` with the instance as it is now (or, once deleted, as it was).

    Reads nothing when notifications are off.
    """
    if not notifier.enabled:
        return
    instance = instances.get(db, instance_uuid)
    fault = None
    if instance is not None and instance.status == states.ERROR:
        fault = instances.latest_faults(db, [instance]).get(instance_uuid)
    if instance is None and before is None:
        return
    payload = instance_payload(instance or before, fault)
    if instance is None:
        payload["mogan_object.data"]["status"] = "deleted"
    notifier.emit(event_type, payload, priority)


def emit_node(
    db: Database,
    notifier: Notifier,
    event_type: str,
    node_uuid: str,
    *,
    before: InstanceRow | None = None,
    priority: str = "INFO",
) -> None:
    """Emit ``event_type`` (``node.clean.end``…) with the node as it is now; nothing when
    notifications are off or the node is gone."""
    if not notifier.enabled:
        return
    node = nodes.NODES.get(db, node_uuid)
    if node is not None:
        notifier.emit(event_type, node_payload(node), priority)
