"""What every operation handler shares: its working context and fault recording."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from mogan.core import states
from mogan.core.clock import utcnow
from mogan.core.errors import DriverError, MoganError
from mogan.core.operations import OperationKind, OperationState, OperationStatus, Step
from mogan.db import instances, nodes, queue
from mogan.db.database import Database, Executor
from mogan.db.records import NodeRow
from mogan.drivers.base import Driver, NodeRef
from mogan.drivers.registry import DriverRegistry
from mogan.engine.retry import call_with_retries

T = TypeVar("T")
S = TypeVar("S", bound=OperationState)
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
class Work(Generic[S]):
    """The operation being carried out and what a step may use."""

    operation_id: int
    instance_uuid: str
    owner: str
    #: The fencing token of this run (the operation's claim count): see ``queue._UPDATE_HELD``.
    claim: int
    #: What the operation carries from step to step, saved with every step reached.
    state: S
    db: Database
    drivers: DriverRegistry
    settings: EngineSettings
    stopping: threading.Event = field(default_factory=threading.Event)
    #: How the operation ended (``OperationStatus.SUCCEEDED`` …), once it has.
    outcome: OperationStatus | None = None
    #: What a step learnt that the next step of this run needs, so it need not read it again
    #: (lost with the run: a takeover starts afresh from the database).
    memo: dict[str, Any] = field(default_factory=dict, repr=False)
    _nodes: dict[str, tuple[NodeRow, Driver, NodeRef]] = field(default_factory=dict, repr=False)

    def advance(self, executor: Executor, step: Step) -> Step:
        """Record that the next step is ``step`` (in the caller's transaction) and return it."""
        queue.save_progress(
            executor, self.operation_id, self.owner, self.claim, step, self.state.to_json()
        )
        return step

    def finish(
        self, executor: Executor, status: OperationStatus = OperationStatus.SUCCEEDED
    ) -> None:
        queue.finish(
            executor, self.operation_id, self.owner, self.claim, status, self.state.to_json()
        )
        self.outcome = status

    def driver_call(self, call: Callable[[], T], what: str) -> T:
        return call_with_retries(
            call,
            retries=self.settings.driver_retries,
            interval=self.settings.driver_retry_interval,
            stopping=self.stopping,
            what=what,
        )

    def node(self, node_uuid: str | None) -> tuple[NodeRow, Driver, NodeRef]:
        """The node, its driver and its driver's handle on it; read once per run (the steps of
        a run follow each other at once, and a takeover starts a new run)."""
        if node_uuid is None:
            raise OperationFailed("The operation reached a step that needs a node without one.")
        if node_uuid not in self._nodes:
            node = nodes.NODES.get(self.db, node_uuid)
            if node is None:
                raise OperationFailed(f"Node {node_uuid} no longer exists.")
            self.know_node(node)
        return self._nodes[node_uuid]

    def know_node(self, node: NodeRow) -> None:
        """Remember the node as this run just read (or claimed) it."""
        self._nodes[node.uuid] = (
            node,
            self.drivers.get(node.driver),
            NodeRef(
                node.uuid,
                node.name,
                dict(node.driver_info or {}),
                instance_uuid=node.instance_uuid,
                properties=dict(node.properties or {}),
            ),
        )


def become_active(work: Work, node: NodeRow, driver: Driver, ref: NodeRef) -> bool:
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
    with work.db.transaction() as connection:
        return activate(connection, work, node.uuid, power)


def activate(
    executor: Executor, work: Work, node_uuid: str, power: str | None, **values: Any
) -> bool:
    """In the caller's transaction: the building instance becomes ``active`` with ``power``
    (and ``values``), the node records ``power``, the operation succeeds. False when the
    instance had moved on meanwhile: the operation then ends as cancelled."""
    if not instances.move(
        executor,
        work.instance_uuid,
        states.BUILDING,
        status=states.ACTIVE,
        launched_at=utcnow(),
        power_state=power,
        **values,
    ):
        work.finish(executor, OperationStatus.CANCELLED)
        return False
    update_node(executor, node_uuid, power_state=power)
    work.finish(executor)
    return True


def update_node(executor: Executor, node_uuid: str, **values: Any) -> None:
    nodes.NODES.update(executor, node_uuid, **values)


def note_node_error(executor: Executor, node_uuid: str, message: str | None) -> None:
    update_node(executor, node_uuid, last_error=message)


#: A step: carries the operation on and returns the next step, or None when it is done.
StepFunction = Callable[[Work[S]], Step | None]


class Handler(Generic[S]):
    """A step machine for one kind of operation.

    ``steps()`` maps each of the kind's steps (``mogan.core.operations.STEPS``) to the method
    that carries it out; the registry is explicit, so a step name read from the database can
    only ever reach one of these.
    """

    kind: ClassVar[OperationKind]

    def steps(self) -> dict[Step, StepFunction[S]]:
        raise NotImplementedError

    def event(self, work: Work[S]) -> str:
        """The notification event of this operation, without ``.start``/``.end``/``.error``."""
        return f"instance.{self.kind}"

    def run_step(self, step: Step, work: Work[S]) -> Step | None:
        return self.steps()[step](work)

    def fail(self, work: Work[S], message: str) -> None:
        """End the operation after an error, leaving the instance in a state a person can act on."""
        raise NotImplementedError
