"""The periodic power state sync: read every active instance's node, correct ``power_state``.

It never fights a pending request: an instance with a ``target_power_state`` is skipped, and
the correction is a compare-and-set that only applies while no target is pending.
BMC reads run with bounded concurrency so one slow BMC does not hold up the fleet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from mogan.core import states
from mogan.core.errors import DriverError
from mogan.db.database import Database, affected
from mogan.db.models import Instance, Node
from mogan.drivers.base import NodeRef
from mogan.drivers.registry import DriverRegistry

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    checked: int
    corrected: int
    failed: int
    #: The instances whose recorded power state was corrected.
    corrected_instances: tuple[str, ...] = ()


def sync_power_states(
    db: Database,
    drivers: DriverRegistry,
    *,
    workers: int,
    owns: Callable[[str], bool] | None = None,
) -> SyncResult:
    """One sync round over the active instances without a pending power change.

    ``owns(node_uuid)`` limits the round to the nodes this engine looks after (its share of
    the hash ring); by default every node is visited.
    """
    with db.read() as session:
        rows = session.execute(
            select(
                Instance.uuid,
                Instance.power_state,
                Node.uuid,
                Node.name,
                Node.driver,
                Node.driver_info,
                Node.power_state,
                Node.last_error,
            )
            .join(Node, Node.uuid == Instance.node_uuid)
            .where(
                Instance.status == states.ACTIVE,
                Instance.target_power_state.is_(None),
                Node.instance_uuid == Instance.uuid,
                Node.maintenance.is_(False),
            )
        ).all()
    if owns is not None:
        rows = [row for row in rows if owns(row[2])]

    def read(row: Any) -> tuple[Any, str | None, str | None]:
        _, _, node_uuid, name, driver_name, info, _, _ = row
        try:
            driver = drivers.get(driver_name)
            return row, driver.power.get_power_state(NodeRef(node_uuid, name, dict(info))), None
        except DriverError as exc:
            return row, None, exc.message

    corrected = failed = 0
    corrected_instances: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="power-sync") as pool:
        results = list(pool.map(read, rows))
    with db.write() as session:
        for row, observed, error in results:
            instance_uuid, recorded, node_uuid, _, _, _, node_power, node_error = row
            if error is not None:
                failed += 1
                LOG.warning("Power sync: node %s unreadable: %s", node_uuid, error)
            if (node_power, node_error) != (observed, error):
                session.execute(
                    update(Node)
                    .where(Node.uuid == node_uuid)
                    .values(power_state=observed, last_error=error)
                    .execution_options(synchronize_session=False)
                )
            if observed == recorded:
                continue
            changed = affected(
                session.execute(
                    update(Instance)
                    .where(
                        Instance.uuid == instance_uuid,
                        Instance.status == states.ACTIVE,
                        Instance.target_power_state.is_(None),
                    )
                    .values(power_state=observed)
                    .execution_options(synchronize_session=False)
                )
            )
            if changed:
                corrected += 1
                corrected_instances.append(instance_uuid)
                LOG.info(
                    "Power sync: instance %s was %s, hardware reports %s",
                    instance_uuid,
                    recorded,
                    observed,
                )
    return SyncResult(
        checked=len(rows),
        corrected=corrected,
        failed=failed,
        corrected_instances=tuple(corrected_instances),
    )
