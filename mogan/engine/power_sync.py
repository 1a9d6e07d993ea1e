"""The periodic power state sync: read every active instance's node, correct ``power_state``.

It never fights a pending request: an instance with a ``target_power_state`` is skipped, and
the correction is a compare-and-set that only applies while no target is pending.
BMC reads run with bounded concurrency so one slow BMC does not hold up the fleet.
"""

from __future__ import annotations

import logging
import threading
import uuid as uuid_module
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice

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
    #: False when ``stopping`` ended the round before its share was read.
    complete: bool = True


#: Instances read, their BMCs asked and their corrections written per batch: memory and
#: transactions stay the same size whatever the fleet's.
BATCH = 500


def sync_power_states(
    db: Database,
    drivers: DriverRegistry,
    *,
    workers: int,
    share: Sequence[tuple[str, str | None]] | None = None,
    stopping: threading.Event | None = None,
) -> SyncResult:
    """One sync round over the active instances without a pending power change.

    ``share`` limits the round to the node-uuid ranges ``[low, high)`` this engine looks after
    (``hashring.owned_ranges``); by default every node is visited. The round goes a ``BATCH``
    at a time: read from the database by ranges of the nodes' key (a batch gathers the
    instances of as many ranges as it takes to fill it: a share is many small ranges, and
    a batch per range would wait out a BMC's latency once per range), BMCs asked with
    ``workers`` in flight, corrections written in one transaction per batch. Once
    ``stopping`` is set no further batch starts (a round over a region's BMCs takes minutes;
    an engine that is stopping does not wait for it), and the result says it is incomplete.
    """
    checked = corrected = failed = 0
    corrected_instances: list[str] = []
    complete = True
    served = _served(db, share if share is not None else [("", None)])
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="power-sync") as pool:
        while batch := list(islice(served, BATCH)):
            outcome = _sync_batch(db, drivers, pool, batch)
            checked += len(batch)
            corrected += len(outcome.corrected_instances)
            failed += outcome.failed
            corrected_instances += outcome.corrected_instances
            if stopping is not None and stopping.is_set():
                complete = next(served, None) is None
                break
    return SyncResult(
        checked=checked,
        corrected=corrected,
        failed=failed,
        corrected_instances=tuple(corrected_instances),
        complete=complete,
    )


def _served(db: Database, share: Sequence[tuple[str, str | None]]) -> Iterator[instances.Served]:
    """The instances to read, range after range, each range a page of ``BATCH`` at a time."""
    for low, high in share:
        after: str | None = None
        while True:
            page = instances.active_without_pending_power(
                db, low=low, high=high, after=after, limit=BATCH
            )
            yield from page
            if len(page) < BATCH:
                break
            after = page[-1].node.uuid


def _sync_batch(
    db: Database,
    drivers: DriverRegistry,
    pool: ThreadPoolExecutor,
    served: list[instances.Served],
) -> SyncResult:
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

    failed = 0
    corrected_instances: list[str] = []
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
                corrected_instances.append(instance.uuid)
                LOG.info(
                    "Power sync: instance %s was %s, hardware reports %s",
                    instance.uuid,
                    instance.power_state,
                    observed,
                )
    return SyncResult(
        checked=len(served),
        corrected=len(corrected_instances),
        failed=failed,
        corrected_instances=tuple(corrected_instances),
    )
