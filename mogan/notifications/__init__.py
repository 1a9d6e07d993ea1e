"""Versioned notifications in the oslo.messaging envelope OpenStack consumers read.

``Notifier.emit`` never blocks and never raises: events go to a bounded queue that a
background thread sends to the broker, so a broker that is down or slow cannot fail or delay
a user's request or an engine step. Callers emit only after their database change committed.
"""

from mogan.notifications.notifier import (
    LogNotifier,
    MessagingNotifier,
    Notifier,
    NullNotifier,
    instance_payload,
    node_payload,
)

__all__ = [
    "LogNotifier",
    "MessagingNotifier",
    "Notifier",
    "NullNotifier",
    "instance_payload",
    "node_payload",
]
