"""Notifiers: none, to the log, or to a message broker through oslo.messaging."""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import warnings
from typing import Any

from mogan.core import hosts

LOG = logging.getLogger(__name__)

PAYLOAD_VERSION = "1.0"

#: Fields of an instance carried in every instance notification.
INSTANCE_FIELDS = (
    "uuid",
    "name",
    "description",
    "project_id",
    "user_id",
    "status",
    "power_state",
    "target_power_state",
    "instance_type_uuid",
    "image_uuid",
    "availability_zone",
    "node_uuid",
    "created_at",
    "updated_at",
    "launched_at",
)


#: Fields of a node carried in every node notification (never its driver_info: secrets).
NODE_FIELDS = (
    "uuid",
    "name",
    "driver",
    "provision_state",
    "power_state",
    "maintenance",
    "maintenance_reason",
    "instance_uuid",
    "availability_zone",
    "resource_class",
    "last_error",
    "created_at",
    "updated_at",
)


def _iso(value: Any) -> Any:
    return value.replace(tzinfo=dt.UTC).isoformat() if isinstance(value, dt.datetime) else value


def _operators(value: Any) -> Any:
    """Notifications go to operators' systems: nodes named (``mogan.core.hosts``)."""
    return hosts.for_operator(value) if isinstance(value, str) else value


def instance_payload(instance: Any, fault: Any = None) -> dict[str, Any]:
    """A versioned payload (as Nova's versioned notifications are shaped) for an instance.

    ``fault`` is the instance's latest fault (anything with ``code``, ``message`` and
    ``created_at``), or None.
    """
    data = {name: _iso(getattr(instance, name, None)) for name in INSTANCE_FIELDS}
    data["fault"] = (
        None
        if fault is None
        else {
            "code": fault.code,
            "message": hosts.for_operator(fault.message),
            "created_at": _iso(fault.created_at),
        }
    )
    return {
        "mogan_object.name": "InstancePayload",
        "mogan_object.namespace": "mogan",
        "mogan_object.version": PAYLOAD_VERSION,
        "mogan_object.data": data,
    }


def node_payload(node: Any) -> dict[str, Any]:
    """A versioned payload for a node (its inspections and cleans: ``node.clean.end``…)."""
    return {
        "mogan_object.name": "NodePayload",
        "mogan_object.namespace": "mogan",
        "mogan_object.version": PAYLOAD_VERSION,
        "mogan_object.data": {
            name: _operators(_iso(getattr(node, name, None))) for name in NODE_FIELDS
        },
    }


class Notifier:
    """Emits ``event_type`` with ``payload`` at ``priority`` (``INFO`` or ``ERROR``)."""

    #: False when events go nowhere, so callers can skip building payloads.
    enabled = True

    def emit(self, event_type: str, payload: dict[str, Any], priority: str = "INFO") -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Send what is queued (briefly) and stop."""


class NullNotifier(Notifier):
    enabled = False

    def emit(self, event_type: str, payload: dict[str, Any], priority: str = "INFO") -> None:
        pass


class LogNotifier(Notifier):
    def emit(self, event_type: str, payload: dict[str, Any], priority: str = "INFO") -> None:
        LOG.info(
            "Notification %s (%s): %s",
            event_type,
            priority,
            payload.get("mogan_object.data", {}).get("uuid"),
        )


class MessagingNotifier(Notifier):
    """oslo.messaging's ``messagingv2`` driver on ``topics``, sent by a background thread."""

    def __init__(
        self,
        conf: Any,
        *,
        transport_url: str | None,
        publisher_id: str,
        topics: list[str],
        queue_size: int = 10000,
    ) -> None:
        with warnings.catch_warnings():
            # oslo.messaging imports oslo.service and eventlet, which announce their own
            # deprecation on import; Mogan uses neither, so the noise stops here.
            warnings.simplefilter("ignore")
            import oslo_messaging

        oslo_messaging.set_transport_defaults(control_exchange="mogan")
        transport = oslo_messaging.get_notification_transport(conf, url=transport_url)
        # retry=0: one attempt per event; the queue, not the caller, absorbs a slow broker.
        self._notifier = oslo_messaging.Notifier(
            transport, publisher_id=publisher_id, driver="messagingv2", topics=topics, retry=0
        )
        self._transport = transport
        self._queue: queue.Queue[tuple[str, dict[str, Any], str] | None] = queue.Queue(
            maxsize=queue_size
        )
        self._dropped = 0
        self._thread = threading.Thread(target=self._send_loop, name="notifier", daemon=True)
        self._thread.start()

    def emit(self, event_type: str, payload: dict[str, Any], priority: str = "INFO") -> None:
        try:
            self._queue.put_nowait((event_type, payload, priority))
        except queue.Full:
            self._dropped += 1
            if self._dropped in (1, 100) or self._dropped % 1000 == 0:
                LOG.warning("Notification queue full: %d event(s) dropped", self._dropped)

    def _send_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            event_type, payload, priority = item
            try:
                send = self._notifier.error if priority == "ERROR" else self._notifier.info
                send({}, event_type, payload)
            except Exception as exc:  # the broker is away: the event is lost, said once
                LOG.warning("Notification %s not sent: %s", event_type, exc)

    def close(self) -> None:
        try:
            self._queue.put(None, timeout=1)
        except queue.Full:
            return
        self._thread.join(5)
        self._transport.cleanup()
