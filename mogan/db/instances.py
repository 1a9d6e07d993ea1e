"""The instances' data: status changes (through the transition table) and faults.

Every status change of an instance is a compare-and-set made here, and is checked against
``mogan.core.states.TRANSITIONS`` first: a move the table does not allow raises
``IllegalTransition`` before any statement runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, insert, update

from mogan.core.states import check_transition
from mogan.db.database import Executor, affected
from mogan.db.models import Instance, InstanceFault, table_of, utcnow

_INSTANCES = table_of(Instance)

#: Compare-and-set of an instance's status; the SET clause is the other parameters' columns
#: (so one prebuilt statement serves every caller; the bind names stay clear of column names).
_MOVE = update(_INSTANCES).where(
    _INSTANCES.c.uuid == bindparam("moving_uuid"),
    _INSTANCES.c.status.in_(bindparam("moving_from", expanding=True)),
)
_ADD_FAULT = insert(table_of(InstanceFault))


def move(
    executor: Executor, instance_uuid: str, expected: str | Iterable[str], **values: Any
) -> bool:
    """If the instance's status is (one of) ``expected``, set ``values`` — a new ``status``
    among them, if any — in the caller's transaction; False when it had moved on meanwhile.

    Raises ``IllegalTransition`` when ``status`` is not reachable from every ``expected``.
    """
    allowed = [expected] if isinstance(expected, str) else list(expected)
    new_status = values.get("status")
    if new_status is not None:
        for current in allowed:
            check_transition(current, new_status)
    params = {"moving_uuid": instance_uuid, "moving_from": allowed, **values}
    return bool(affected(executor.execute(_MOVE, params)))


def record_fault(executor: Executor, instance_uuid: str, message: str, code: int = 500) -> None:
    """Say why the instance failed (shown with it while it is in ``error``)."""
    executor.execute(
        _ADD_FAULT,
        {"instance_uuid": instance_uuid, "code": code, "message": message, "created_at": utcnow()},
    )
