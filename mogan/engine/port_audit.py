"""The Neutron port audit: ports Neutron says are wired to a Mogan instance
(``device_owner`` ``compute:mogan``) whose instance Mogan no longer has.

Such a port is left over when Mogan's record went away without its tear-down (a database
restored from an earlier backup, an instance row removed by hand) or when a clean-up could
not reach Neutron and nobody deleted the instance afterwards. Each is reported (a WARNING
naming the port, the instance and the project, and the ``mogan_orphan_ports`` counter) and
put right: a port Mogan made is deleted, a port a tenant gave is unbound and given back.
Each engine audits the ports of the instances it owns on the hash ring.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from mogan.core.errors import DriverError
from mogan.core.metrics import ORPHAN_PORTS
from mogan.db import instances
from mogan.db.database import Database
from mogan.engine.neutron_ports import NeutronPorts

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuditResult:
    checked: int
    orphans: tuple[str, ...] = ()
    failed: int = 0


def audit_ports(
    db: Database,
    neutron: NeutronPorts,
    *,
    stopping: threading.Event,
    owns: Callable[[str], bool] | None = None,
) -> AuditResult:
    """One audit round (``owns(instance_uuid)``: this engine's share)."""
    wired = neutron.call(lambda: neutron.neutron.ports_of(None), "listing Mogan's ports", stopping)
    if owns is not None:
        wired = [port for port in wired if owns(port.device_id)]
    known = instances.existing(db, [port.device_id for port in wired])
    orphans, failed = [], 0
    for port in wired:
        if port.device_id in known:
            continue
        ORPHAN_PORTS.inc()
        try:
            done = neutron.release(port, (), stopping)
        except DriverError as exc:
            failed += 1
            LOG.warning(
                "Neutron port %s (project %s) is wired to instance %s, which Mogan no longer "
                "has; it could not be released yet: %s",
                port.uuid,
                port.project_id,
                port.device_id,
                exc.message,
            )
            continue
        orphans.append(port.uuid)
        LOG.warning(
            "Neutron port %s (project %s) was wired to instance %s, which Mogan no longer has: %s",
            port.uuid,
            port.project_id,
            port.device_id,
            done,
        )
    return AuditResult(len(wired), tuple(orphans), failed)
