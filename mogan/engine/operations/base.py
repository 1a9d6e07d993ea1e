"""What every operation handler shares: its working context and fault recording."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from mogan.core import states
from mogan.core.errors import DriverError, MoganError
from mogan.db.database import Database, affected
from mogan.db.models import Instance, InstanceFault, Node, utcnow
from mogan.drivers.base import Driver, NodeRef
from mogan.drivers.registry import DriverRegistry
from mogan.engine import leases
from mogan.engine.retry import call_with_retries

T = TypeVar("T")
LOG = logging.getLogger(__name__)


class OperationFailed(MoganError):
    """The operation cannot complete; ``message`` becomes the instance's fault."""


@dataclass(frozen=True)
class EngineSettings:
    max_attempts: int = 3
    driver_retries: int = 3
    driver_retry_interval: float = 1.0
    power_state_timeout: float = 120.0
    soft_power_timeout: float = 120.0
    #: "hard": a soft action that times out is repeated as the hard one; "fail": it fails.
    soft_power_fallback: str = "hard"
    power_poll_interval: float = 0.5


@dataclass
class Work:
    """The operation being carried out and what a step may use."""

    operation_id: int
    instance_uuid: str
    owner: str
    #: The fencing token of this run (the operation's claim count): see ``leases.guard``.
    claim: int
    state: dict[str, Any]
    db: Database
    drivers: DriverRegistry
    settings: EngineSettings
    stopping: threading.Event = field(default_factory=threading.Event)
    #: How the operation ended (``leases.SUCCEEDED`` …), once it has.
    outcome: str | None = None
    _nodes: dict[str, tuple[Node, Driver, NodeRef]] = field(default_factory=dict, repr=False)

    def advance(self, session: Session, step: str) -> str:
        """Record that the next step is ``step`` (in the caller's transaction) and return it."""
        leases.save_progress(session, self.operation_id, self.owner, self.claim, step, self.state)
        return step

    def finish(self, session: Session, status: str = leases.SUCCEEDED) -> None:
        leases.finish(session, self.operation_id, self.owner, self.claim, status, self.state)
        self.outcome = status

    def driver_call(self, call: Callable[[], T], what: str) -> T:
        return call_with_retries(
            call,
            retries=self.settings.driver_retries,
            interval=self.settings.driver_retry_interval,
            stopping=self.stopping,
            what=what,
        )

    def node(self, node_uuid: str) -> tuple[Node, Driver, NodeRef]:
        """The node, its driver and its driver's handle on it; read once per run (the steps of
        a run follow each other at once, and a takeover starts a new run)."""
        if node_uuid not in self._nodes:
            self._nodes[node_uuid] = self._load_node(node_uuid)
        return self._nodes[node_uuid]

    def _load_node(self, node_uuid: str) -> tuple[Node, Driver, NodeRef]:
        with self.db.read() as session:
            node = session.get(Node, node_uuid)
        if node is None:
            raise OperationFailed(f"Node {node_uuid} no longer exists.")
        return (
            node,
            self.drivers.get(node.driver),
            NodeRef(
                node.uuid,
                node.name,
                dict(node.driver_info),
                instance_uuid=node.instance_uuid,
                properties=dict(node.properties or {}),
            ),
        )


def record_fault(session: Session, instance_uuid: str, message: str, code: int = 500) -> None:
    session.add(
        InstanceFault(instance_uuid=instance_uuid, code=code, message=message, created_at=utcnow())
    )


def move_instance(
    session: Session, instance_uuid: str, expected: str | tuple[str, ...], **values: Any
) -> bool:
    """Compare-and-set an instance's status (and other columns); False when it had moved on."""
    allowed = (expected,) if isinstance(expected, str) else expected
    return bool(
        affected(
            session.execute(
                update(Instance)
                .where(Instance.uuid == instance_uuid, Instance.status.in_(allowed))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        )
    )


def become_active(work: Work, node: Node, driver: Driver, ref: NodeRef) -> bool:
    """End a create or adoption: read the node's power state (unknown if that fails) and make
    the building instance ``active`` with it; False when the instance had moved on meanwhile
    (its operation then ends as cancelled)."""
    try:
        power = work.driver_call(
            lambda: driver.power.get_power_state(ref), f"power state of node {node.name}"
        )
    except DriverError as exc:
        LOG.warning("Power state of node %s unknown: %s", node.name, exc.message)
        power = None
    with work.db.write() as session:
        return activate(session, work, node.uuid, power)


def activate(
    session: Session, work: Work, node_uuid: str, power: str | None, **values: Any
) -> bool:
    """In the caller's transaction: the building instance becomes ``active`` with ``power``
    (and ``values``), the node records ``power``, the operation succeeds. False when the
    instance had moved on meanwhile: the operation then ends as cancelled."""
    if not move_instance(
        session,
        work.instance_uuid,
        states.BUILDING,
        status=states.ACTIVE,
        launched_at=utcnow(),
        power_state=power,
        **values,
    ):
        work.finish(session, leases.CANCELLED)
        return False
    session.execute(
        update(Node)
        .where(Node.uuid == node_uuid)
        .values(power_state=power)
        .execution_options(synchronize_session=False)
    )
    work.finish(session)
    return True


def note_node_error(session: Session, node_uuid: str, message: str | None) -> None:
    session.execute(
        update(Node)
        .where(Node.uuid == node_uuid)
        .values(last_error=message)
        .execution_options(synchronize_session=False)
    )


class Handler:
    """A step machine: ``step_<name>(work)`` returns the next step name, or None when done."""

    kind: str
    first_step: str

    def event(self, work: Work) -> str:
        """The notification event of this operation, without ``.start``/``.end``/``.error``."""
        return f"instance.{self.kind}"

    def run_step(self, step: str, work: Work) -> str | None:
        method: Callable[[Work], str | None] = getattr(self, f"step_{step}")
        return method(work)

    def fail(self, work: Work, message: str) -> None:
        """End the operation after an error, leaving the instance in a state a person can act on."""
        raise NotImplementedError
