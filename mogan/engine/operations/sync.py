"""Sync: mirror the nodes of the drivers with an inventory of their own (Ironic) now, on an
operator's request (``POST /v1/nodes/sync``), and record what changed.

The record is the sync's action: one event per kind of change, whose details list the nodes
(``added``, ``updated``, ``removed``, ``repaired``: their uuids, space-separated) or say what
was found (``orphan``, ``skipped``: one event per node, ``<node uuid>: <why>``).
"""

from __future__ import annotations

import logging

from mogan.core.errors import MoganError
from mogan.core.operations import OperationKind, OperationStatus, Step, SyncState
from mogan.engine.inventory import InventoryResult, sync_inventory
from mogan.engine.operations.base import Handler, OperationFailed, StepFunction, Work

LOG = logging.getLogger(__name__)

#: The events that list nodes, in the order they are recorded.
LISTED = ("added", "updated", "removed", "repaired")


class SyncInventory(Handler[SyncState]):
    kind = OperationKind.SYNC

    def steps(self) -> dict[Step, StepFunction[SyncState]]:
        return {Step.SYNC: self.step_sync}

    def step_sync(self, work: Work[SyncState]) -> Step | None:
        try:
            result = sync_inventory(work.db, work.drivers)
        except MoganError as exc:
            # Ironic away or failing: the operator reads why in the sync's record (a
            # ``ServiceUnavailable`` here is the peer's, not the database's).
            raise OperationFailed(f"The inventory sync failed: {exc.message}") from None
        with work.db.transaction() as tx:
            _note(work, result)
            work.summary = _summary(result)
            work.finish(tx)
        return None

    def fail(self, work: Work[SyncState], message: str) -> None:
        with work.db.transaction() as tx:
            work.finish(tx, OperationStatus.FAILED)
        LOG.error("%s", message)


def _note(work: Work[SyncState], result: InventoryResult) -> None:
    for name in LISTED:
        listed: list[str] = getattr(result, name)
        if listed:
            work.note(name, " ".join(listed))
    for orphan in result.orphans:
        work.note("orphan", f"{orphan.node_uuid}: {orphan.message}", failed=True)
    for node_uuid, reason in result.skipped.items():
        work.note("skipped", f"{node_uuid}: {reason}", failed=True)
    if not (any(getattr(result, name) for name in LISTED) or result.orphans or result.skipped):
        work.note("sync", "nothing changed")


def _summary(result: InventoryResult) -> str:
    counts = [f"{len(getattr(result, name))} {name}" for name in LISTED]
    return ", ".join(
        [*counts, f"{len(result.orphans)} orphan(s)", f"{len(result.skipped)} skipped"]
    )
