"""Remote consoles: a ticket to an instance's serial console, for Mogan's console proxy.

As Nova's ``remote-consoles``: the caller may act on the instance (its project's member, an
administrator; a reader may not), the instance runs on a node (``active`` or ``rescue``)
and, when locked, only who may ignore locks opens it, as for power. The ticket is a random
token good for one connection within ``[console] token_ttl`` seconds; only its hash is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from mogan.core import states
from mogan.core.capabilities import DriverCatalog
from mogan.core.clock import utcnow
from mogan.core.errors import Conflict
from mogan.db import consoles, nodes
from mogan.db.database import Database
from mogan.services.access import visible_instance
from mogan.services.context import RequestContext
from mogan.services.policy import Policy

#: Where an instance has a console worth opening.
_CONSOLE_STATUSES = (states.ACTIVE, states.RESCUE)


class ConsoleService:
    def __init__(
        self,
        db: Database,
        policy: Policy,
        drivers: DriverCatalog | None = None,
        *,
        token_ttl: float = 600.0,
    ) -> None:
        self._db, self._policy, self._drivers, self._ttl = db, policy, drivers, token_ttl

    def open(self, context: RequestContext, ident: str, protocol: str, console_type: str) -> str:
        """A token for one connection to the instance's console (``Conflict`` when it has
        none to open now)."""
        with self._db.transaction() as tx:
            instance = visible_instance(
                self._db, self._policy, context, ident, "mogan:instance:console", tx
            )
            if instance.locked_by is not None and not self._policy.check(
                "mogan:instance:ignore_lock", context
            ):
                raise Conflict(f"Instance {ident} is locked; unlock it before opening its console.")
            if instance.status not in _CONSOLE_STATUSES or instance.node_uuid is None:
                raise Conflict(
                    f"Instance {ident} is {instance.status}; a console opens on an active or "
                    "rescued instance."
                )
            node = nodes.NODES.get(self._db, instance.node_uuid)
            driver = node.driver if node is not None else None
            if (
                self._drivers is not None
                and driver in self._drivers.names
                and not self._drivers.capabilities(driver).has_console
            ):
                raise Conflict(
                    f"Instance {ident}'s hardware ({driver} driver) offers no serial console "
                    "Mogan can reach."
                )
            token = secrets.token_urlsafe(32)
            consoles.issue(
                tx,
                hashlib.sha256(token.encode()).hexdigest(),
                consoles.ConsoleTicket(instance.uuid, protocol, console_type),
                utcnow() + dt.timedelta(seconds=self._ttl),
            )
        return token
