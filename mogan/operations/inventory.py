"""Work on the inventory of drivers whose nodes live in a service of their own (Ironic): a
sync on an operator's request. (The engines also sync on a timer, unrecorded.)"""

from __future__ import annotations

import uuid

from mogan.core.operations import SubjectKind, SyncState
from mogan.db import actions, queue
from mogan.db.database import Database, Executor
from mogan.operations.requester import Requester

#: The subject of every sync: one inventory, whatever the drivers that hold it. Syncs run one
#: at a time, in the order they were asked for, as operations of one subject do.
INVENTORY_UUID = str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:mogan:inventory"))


def request_sync(tx: Executor, db: Database, requester: Requester) -> str:
    """Queue a sync; returns the subject its record is kept under."""
    actions.start(
        tx,
        subject_kind=SubjectKind.INVENTORY,
        subject_uuid=INVENTORY_UUID,
        request_id=requester.request_id,
        action="sync",
        project_id="",
        user_id=requester.user_id,
    )
    queue.enqueue(db, tx, INVENTORY_UUID, SyncState(request_id=requester.request_id))
    return INVENTORY_UUID
