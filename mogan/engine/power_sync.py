"""The periodic power state sync: read every active instance's node, correct ``power_state``.

It never fights a pending request: an instance with a ``target_power_state`` is skipped, and
the correction is a compare-and-set that only applies while no target is pending.
BMC reads run with bounded concurrency so one slow BMC does not hold up the fleet.
"""

from __future__ import annotations

import logging
import uuid as uuid_module
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from mogan.core.errors import DriverError
from mogan.db import actions, instances, nodes
from mogan.db.database import Database
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
    served = instances.active_without_pending_power(db)
    if owns is not None:
        served = [s for s in served if owns(s.node.uuid)]

    def read(item: instances.Served) -> tuple[instances.Served, str | None, str | None]:
        node = item.node
        try:
            driver = drivers.get(node.driver)
            observed = driver.power.get_power_state(
                NodeRef(node.uuid, node.name, dict(node.driver_info))
            )
            return item, observed, None
        except DriverError as exc:
            return item, None, exc.message

    corrected = failed = 0
    corrected_instances: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="power-sync") as pool:
        results = list(pool.map(read, served))
    with db.transaction() as tx:
        for item, observed, error in results:
            node, instance = item.node, item.instance
            if error is not None:
                failed += 1
                LOG.warning("Power sync: node %s unreadable: %s", node.uuid, error)
            if (node.power_state, node.last_error) != (observed, error):
                nodes.NODES.update(tx, node.uuid, power_state=observed, last_error=error)
            if observed == instance.power_state:
                continue
            if instances.correct_power(tx, instance.uuid, observed):
                actions.start(
                    tx,
                    subject_uuid=instance.uuid,
                    request_id=f"req-{uuid_module.uuid4()}",
                    action="power_sync",
                    project_id=instance.project_id,
                    user_id=None,
                    finished=True,
                    message=(
                        f"Node {node.name} reports '{observed}'; the instance was recorded "
                        f"as '{instance.power_state}'."
                    ),
                )
                corrected += 1
                corrected_instances.append(instance.uuid)
                LOG.info(
                    "Power sync: instance %s was %s, hardware reports %s",
                    instance.uuid,
                    instance.power_state,
                    observed,
                )
    return SyncResult(
        checked=len(served),
        corrected=corrected,
        failed=failed,
        corrected_instances=tuple(corrected_instances),
    )
