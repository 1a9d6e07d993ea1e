"""Work on nodes: a verification of a node's BMC, an inspection, a clean. The node's state
moves and its operation is queued in the caller's transaction, so neither is ever lost nor
done twice at once.

Used by the engine (a node freed by a tear-down is cleaned; a verified node asked to be
inspected is) and by the operators' services (an enrolment, an inspection or a clean on
request).
"""

from __future__ import annotations

from typing import Any

from mogan.core import lifecycle
from mogan.core.errors import InvalidInput
from mogan.core.lifecycle import CleaningMode
from mogan.core.operations import CleanState, InspectState, SubjectKind, VerifyState
from mogan.db import actions, nodes, queue, scheduler
from mogan.db.database import Database, Executor
from mogan.db.records import NodeRow
from mogan.operations.requester import Requester

#: ``driver_info`` key that overrides ``[cleaning] mode`` for one node.
CLEANING_MODE_KEY = "cleaning_mode"


def cleaning_mode(driver_info: dict[str, Any], default: str) -> CleaningMode:
    """The node's cleaning mode: its ``driver_info`` says, else ``[cleaning] mode``."""
    return CleaningMode(driver_info.get(CLEANING_MODE_KEY) or default)


def check_cleaning_mode(driver_info: dict[str, Any]) -> None:
    """``InvalidInput`` unless the node's own cleaning mode (if any) is one there is."""
    value = driver_info.get(CLEANING_MODE_KEY)
    if value is not None and value not in {mode.value for mode in CleaningMode}:
        choices = ", ".join(mode.value for mode in CleaningMode)
        raise InvalidInput(
            f"Invalid value for field 'driver_info.{CLEANING_MODE_KEY}': {value!r} is not "
            f"one of {choices}."
        )


def _record(tx: Executor, node_uuid: str, action: str, requester: Requester) -> None:
    """Open the node's history entry that the operation's steps are recorded under."""
    actions.start(
        tx,
        subject_kind=SubjectKind.NODE,
        subject_uuid=node_uuid,
        request_id=requester.request_id,
        action=action,
        project_id="",
        user_id=requester.user_id,
    )


def release_after_teardown(
    tx: Executor,
    db: Database,
    node: NodeRow,
    instance_uuid: str,
    *,
    mode: CleaningMode,
    cleans_itself: bool,
    request_id: str,
    **values: Any,
) -> str:
    """Free the node from the instance whose deployment was torn down, into ``cleaning``
    with its clean queued — or straight back to ``available`` when nothing is to be wiped
    (``mode`` none, on a node whose owner does not clean by itself). Returns the node's new
    provision state."""
    if mode is CleaningMode.NONE and not cleans_itself:
        scheduler.release(
            tx, node.uuid, instance_uuid, provision_state=lifecycle.AVAILABLE, **values
        )
        return lifecycle.AVAILABLE
    scheduler.release(tx, node.uuid, instance_uuid, provision_state=lifecycle.CLEANING, **values)
    _record(tx, node.uuid, "clean", Requester(request_id))
    queue.enqueue(
        db,
        tx,
        node.uuid,
        CleanState(request_id=request_id, mode=mode.value, after_instance=instance_uuid),
    )
    return lifecycle.CLEANING


def request_clean(
    tx: Executor,
    db: Database,
    requester: Requester,
    node: NodeRow,
    *,
    mode: CleaningMode,
    **values: Any,
) -> NodeRow | None:
    """Move the node to ``cleaning`` and queue its clean; None when its state does not
    allow it (it changed meanwhile). A node whose last clean failed is torn down again
    first, and its failure cleared once it is clean."""
    moved = nodes.move(tx, node.uuid, lifecycle.CLEANING, **values)
    if moved is None:
        return None
    after_failure = node.provision_state == lifecycle.CLEAN_FAILED
    _record(tx, node.uuid, "clean", requester)
    state = CleanState(
        request_id=requester.request_id, mode=mode.value, after_failure=after_failure
    )
    queue.enqueue(db, tx, node.uuid, state)
    return moved


def request_inspection(
    tx: Executor,
    db: Database,
    requester: Requester,
    node_uuid: str,
    *,
    overwrite: bool,
    **values: Any,
) -> NodeRow | None:
    """Move the node to ``inspecting`` and queue its inspection; None when its state does
    not allow it."""
    moved = nodes.move(tx, node_uuid, lifecycle.INSPECTING, **values)
    if moved is None:
        return None
    _record(tx, node_uuid, "inspect", requester)
    state = InspectState(request_id=requester.request_id, overwrite=overwrite)
    queue.enqueue(db, tx, node_uuid, state)
    return moved


def request_verification(
    tx: Executor,
    db: Database,
    requester: Requester,
    node: NodeRow,
    *,
    inspect: bool = False,
) -> NodeRow | None:
    """Queue a check of the node's BMC and interfaces. A node in ``enroll`` moves to
    ``verifying`` (then ``available``, or ``inspecting`` when ``inspect``, or back to
    ``enroll``); any other node stays as it is, and only what the check finds is recorded
    (``GET …/validate``). Returns the node as it now is; None when it was in ``enroll``
    and moved meanwhile."""
    enrolling = node.provision_state == lifecycle.ENROLL
    if enrolling:
        moved = nodes.move(tx, node.uuid, lifecycle.VERIFYING, last_error=None)
        if moved is None:
            return None
        node = moved
    _record(tx, node.uuid, "verify", requester)
    state = VerifyState(request_id=requester.request_id, enrolling=enrolling, inspect=inspect)
    queue.enqueue(db, tx, node.uuid, state)
    return node
