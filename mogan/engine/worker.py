"""``Engine``: claims operations and runs them in worker threads; runs the periodic jobs.

Threads, not processes or coroutines: drivers (sushy, openstacksdk) are blocking libraries and
an operation spends its life waiting on hardware. No in-process lock is load-bearing: every
claim and every state change is a compare-and-set in the database, so any number of engines
(in this process or others) can run side by side.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid as uuid_module
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mogan.core import metrics
from mogan.core.clock import utcnow
from mogan.core.errors import MoganError, ServiceUnavailable
from mogan.core.hashring import HashRing, owned_ranges
from mogan.core.logcontext import request_id_var
from mogan.core.operations import OperationStatus, Step, SubjectKind, first_step
from mogan.db import engines, queue
from mogan.db.database import Database
from mogan.drivers.registry import DriverRegistry
from mogan.engine import events
from mogan.engine.inventory import sync_inventory
from mogan.engine.operations import HANDLERS
from mogan.engine.operations.base import EngineSettings, Work
from mogan.engine.port_audit import audit_ports
from mogan.engine.power_sync import sync_power_states
from mogan.engine.retry import Interrupted
from mogan.notifications import Notifier, NullNotifier

LOG = logging.getLogger(__name__)

#: How an operation's start and end are announced, by its subject (a sync announces nothing:
#: what it changed is in its action's record).
_EMITTERS: dict[SubjectKind, events.Emitter] = {
    SubjectKind.INSTANCE: events.emit,
    SubjectKind.NODE: events.emit_node,
    SubjectKind.INVENTORY: events.emit_nothing,
}

#: Seconds the dispatcher waits after a wake-up before it claims (see ``_dispatch_loop``).
DISPATCH_GATHER = 0.02


@dataclass
class _Lease:
    """What this engine knows of a lease it holds on an operation it is running."""

    #: When (monotonic) the lease was last taken or renewed, read *before* the statement
    #: that did it: the database's expiry is at least a lease timeout after this.
    renewed: float
    #: Set when the run must stop at its next step or wait: the engine is stopping, or the
    #: lease was lost (``lost`` says which).
    halt: threading.Event = field(default_factory=threading.Event)
    lost: bool = False
    #: The run holding it, once started; a run that has an outcome finished its operation.
    work: Work[Any] | None = None

    @property
    def ended(self) -> bool:
        return self.work is not None and self.work.outcome is not None


@dataclass(frozen=True)
class EngineConfig:
    host: str
    workers: int = 16
    lease_timeout: float = 30.0
    poll_interval: float = 2.0
    sync_power_state_interval: float = 60.0
    sync_power_state_workers: int = 8
    sync_inventory_interval: float = 60.0
    #: Seconds between Neutron port audits (``mogan.engine.port_audit``); 0: none.
    port_audit_interval: float = 600.0
    settings: EngineSettings = field(default_factory=EngineSettings)


class Engine:
    def __init__(
        self,
        db: Database,
        drivers: DriverRegistry,
        config: EngineConfig,
        notifier: Notifier | None = None,
    ) -> None:
        self._db = db
        self._notifier = notifier or NullNotifier()
        self._drivers = drivers
        self._config = config
        self.id = f"{config.host}:{uuid_module.uuid4().hex[:12]}"
        self._stopping = threading.Event()
        self._wakeup = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="engine-op")
        #: The operations this engine is running, by id, with their leases.
        self._running: dict[int, _Lease] = {}
        self._running_guard = threading.Lock()
        #: Until when (monotonic) no lease can run out unseen: see ``_next_look``.
        self._leases_quiet_until: float | None = None
        self._threads: list[threading.Thread] = []

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        LOG.info("Engine %s starting with %d workers", self.id, self._config.workers)
        try:
            engines.register(self._db, self.id, self._config.host)
        except ServiceUnavailable:
            LOG.warning("Engine %s: database unavailable at start; will register later", self.id)
        loops = [
            (self._dispatch_loop, "engine-dispatch"),
            (self._heartbeat_loop, "engine-heartbeat"),
            (self._power_sync_loop, "engine-power-sync"),
        ]
        if any(self._drivers.get(name).inventory for name in self._drivers.names):
            loops.append((self._inventory_sync_loop, "engine-inventory-sync"))
        if self._config.settings.neutron is not None:
            loops.append((self._port_audit_loop, "engine-port-audit"))
        if self._db.dialect == "postgresql":
            loops.append((self._listen_loop, "engine-listen"))
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let running steps end, hand unfinished operations back."""
        self._stopping.set()
        self._wakeup.set()
        with self._running_guard:
            for lease in self._running.values():
                lease.halt.set()
        for thread in self._threads:
            thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            engines.deregister(self._db, self.id)
        except Exception as exc:  # its heartbeat simply stops; others notice in time
            LOG.warning("Engine %s could not deregister: %s", self.id, exc)
        LOG.info("Engine %s stopped", self.id)

    def wake(self) -> None:
        """New work was committed: look for it now rather than at the next poll."""
        self._wakeup.set()

    def run_until_idle(self, limit: int = 1000) -> int:
        """Claim and carry out operations in the calling thread, one at a time, until none is
        claimable; returns how many ran. For tools and tests that want the engine's work done
        now and in order, without its threads (``start()`` is how a service runs)."""
        done = 0
        while done < limit:
            taken = time.monotonic()
            claimed = queue.claim(self._db, self.id, self._config.lease_timeout, limit=1)
            if not claimed:
                return done
            with self._running_guard:
                self._running[claimed[0].id] = _Lease(taken)
            self._run(claimed[0])
            done += 1
        raise RuntimeError(f"operations were still claimable after {limit} ran")

    # -- claiming ------------------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        """Claim as many operations as there are free workers, in one statement; sleep until
        woken (new work announced, a worker freed) or until a lease may need taking over."""
        while not self._stopping.is_set():
            wait = self._config.poll_interval
            try:
                with self._running_guard:
                    working_on = set(self._running)
                free = self._config.workers - len(working_on)
                if free > 0:
                    taken = time.monotonic()
                    claimed = queue.claim(
                        self._db, self.id, self._config.lease_timeout, working_on, limit=free
                    )
                    with self._running_guard:
                        for operation in claimed:
                            self._running[operation.id] = _Lease(taken)
                    for operation in claimed:
                        self._pool.submit(self._run, operation)
                    if len(claimed) < free:  # the queue is drained: mind the leases
                        wait = self._next_look(working_on)
            except ServiceUnavailable:
                LOG.warning("Engine %s paused: database unavailable", self.id)
            except Exception:
                LOG.exception("Engine %s: claiming failed", self.id)
            if self._wakeup.wait(wait):
                # Let more work and more free workers gather, so one claim takes them all
                # instead of a claim per announcement (every API commit wakes every engine).
                self._stopping.wait(DISPATCH_GATHER)
            self._wakeup.clear()

    def _next_look(self, working_on: set[int]) -> float:
        """Seconds until the dispatcher looks again without being woken: the fallback poll, or
        sooner when a lease nobody here works on runs out (its engine may have died).

        The answer is remembered: leases taken or renewed later run out a whole lease timeout
        after that, so none can run out before the remembered moment unseen, except one this
        engine let go of without finishing it, which forgets the moment (``_run``). The
        dispatcher wakes after most operations; asking the database every time cost a query
        per operation.
        """
        now = time.monotonic()
        quiet_until = self._leases_quiet_until
        if quiet_until is None or quiet_until <= now:
            try:
                expiry = queue.next_expiry(self._db, working_on)
            except Exception:  # the database is away; the poll interval will do
                return self._config.poll_interval
            if expiry is None:  # any lease taken from now on runs a whole timeout
                quiet_until = now + self._config.lease_timeout
            else:
                quiet_until = now + max(0.05, (expiry - utcnow()).total_seconds() + 0.05)
            self._leases_quiet_until = quiet_until
        return min(self._config.poll_interval, max(0.05, quiet_until - now))

    def _heartbeat_loop(self) -> None:
        """Renew the leases of the operations running here, three times per lease timeout, so
        a renewal may fail twice in a row without losing anything."""
        interval = self._config.lease_timeout / 3
        while not self._stopping.wait(interval):
            self.renew_leases()

    def renew_leases(self) -> None:
        """Extend the leases of the operations running here and record this engine as alive.

        A lease that could not be renewed is lost: if the database said another claim holds
        it, at once; if the database could not be reached, once a lease timeout has passed
        since it was last renewed, as by then another engine may have taken it over. A lost
        lease halts its run at the next step or wait, so two engines never drive one node;
        the run's writes were already fenced off by its claim count.
        """
        with self._running_guard:
            leases = dict(self._running)
        started = time.monotonic()
        try:
            engines.heartbeat(self._db, self.id, self._config.host)
            held = queue.renew(self._db, self.id, leases, self._config.lease_timeout)
        except Exception as exc:
            metrics.LEASE_RENEWAL_FAILURES.inc()
            LOG.error(
                "Engine %s: lease renewal of %d operations failed: %s",
                self.id,
                len(leases),
                getattr(exc, "message", exc),
            )
            for operation_id, lease in leases.items():
                if started - lease.renewed >= self._config.lease_timeout:
                    self._lose(operation_id, lease, "it could not be renewed in time")
            return
        for operation_id, lease in leases.items():
            if operation_id in held:
                lease.renewed = started
            else:
                self._lose(operation_id, lease, "another claim holds it")

    def _lose(self, operation_id: int, lease: _Lease, why: str) -> None:
        with self._running_guard:
            if self._running.get(operation_id) is not lease or lease.ended:
                return  # the run finished its operation meanwhile: nothing was lost
            lease.lost = True
            lease.halt.set()
        metrics.LEASES_LOST.inc()
        LOG.error(
            "Engine %s lost the lease of operation %d (%s); its run stops at the next step",
            self.id,
            operation_id,
            why,
        )

    def _power_sync_loop(self) -> None:
        interval = self._config.sync_power_state_interval
        if interval <= 0:
            return
        while not self._stopping.wait(interval):
            try:
                ring = HashRing(engines.live(self._db, self._config.lease_timeout))
                if self.id not in ring.members:  # not yet seen as live: take no share
                    continue
                began = time.monotonic()
                result = sync_power_states(
                    self._db,
                    self._drivers,
                    workers=self._config.sync_power_state_workers,
                    share=owned_ranges(ring, self.id),
                    stopping=self._stopping,
                )
                if result.complete:
                    metrics.POWER_SYNC_ROUNDS.observe(time.monotonic() - began)
                metrics.POWER_SYNC_CHECKED.inc(result.checked)
                metrics.POWER_SYNC_CORRECTIONS.inc(result.corrected)
                for instance_uuid in result.corrected_instances:
                    events.emit(
                        self._db, self._notifier, "instance.power_state.corrected", instance_uuid
                    )
                LOG.debug("Power sync: %s", result)
            except Exception as exc:
                LOG.warning("Power sync round failed: %s", exc)

    def _inventory_sync_loop(self) -> None:
        """Mirror Ironic's nodes, this engine's share of them; the first round at start-up."""
        interval = self._config.sync_inventory_interval
        if interval <= 0:
            return
        wait = min(1.0, interval)
        while not self._stopping.wait(wait):
            wait = interval
            try:
                ring = HashRing(engines.live(self._db, self._config.lease_timeout))
                if self.id not in ring.members:
                    wait = min(1.0, interval)
                    continue
                result = sync_inventory(
                    self._db, self._drivers, owns=functools.partial(self._owns, ring)
                )
                LOG.debug("Inventory sync: %s", result.as_dict())
            except Exception as exc:
                LOG.warning("Inventory sync round failed: %s", getattr(exc, "message", exc))

    def _port_audit_loop(self) -> None:
        """Find and put right the Neutron ports of instances Mogan no longer has."""
        interval = self._config.port_audit_interval
        neutron = self._config.settings.neutron
        if interval <= 0 or neutron is None:
            return
        while not self._stopping.wait(interval):
            try:
                ring = HashRing(engines.live(self._db, self._config.lease_timeout))
                if self.id not in ring.members:
                    continue
                result = audit_ports(
                    self._db,
                    neutron,
                    stopping=self._stopping,
                    owns=functools.partial(self._owns, ring),
                )
                LOG.debug("Port audit: %s", result)
            except Exception as exc:
                LOG.warning("Port audit round failed: %s", getattr(exc, "message", exc))

    def _owns(self, ring: HashRing, node_uuid: str) -> bool:
        return ring.share_owner(node_uuid) == self.id

    def _listen_loop(self) -> None:
        """Wake the dispatcher when an API process commits new work (PostgreSQL NOTIFY).

        The poll in the dispatch loop stays as a slow safety net for lost notifications.
        """
        queue.listen(self._db, self._wakeup.set, self._stopping)

    # -- running -------------------------------------------------------------------------------

    def _run(self, operation: queue.ClaimedOperation) -> None:
        """Carry out a claimed operation from the step it reached."""
        kind = operation.kind
        handler = HANDLERS[kind]
        with self._running_guard:
            lease = self._running.setdefault(operation.id, _Lease(time.monotonic()))
        if self._stopping.is_set():
            lease.halt.set()
        work = Work(
            operation_id=operation.id,
            subject_kind=operation.subject_kind,
            subject_uuid=operation.subject_uuid,
            owner=self.id,
            claim=operation.claims,
            state=operation.state,
            db=self._db,
            drivers=self._drivers,
            settings=self._config.settings,
            stopping=lease.halt,
        )
        lease.work = work
        step: Step | None = operation.step
        if operation.claims > 1:
            metrics.OPERATIONS_RESUMED.labels(kind.value).inc()
        request_id_var.set(work.state.request_id or f"op-{operation.id}")
        before = None
        emit = _EMITTERS[operation.subject_kind]
        LOG.info(
            "Engine %s runs %s operation %d of %s %s from step %s (claim %d)",
            self.id,
            operation.kind,
            operation.id,
            operation.subject_kind,
            operation.subject_uuid,
            step,
            operation.claims,
        )
        try:
            # Everything that touches the database is inside this block: an outage here must
            # still reach the ``finally`` that lets go of the operation, or its lease would be
            # renewed forever and nobody would ever take it over.
            if self._notifier.enabled and operation.subject_kind is SubjectKind.INSTANCE:
                # The payload of a later .end, once the instance's row is gone.
                before = events.snapshot(self._db, operation.subject_uuid)
            if operation.claims == 1 and step == first_step(kind, work.state):
                metrics.OPERATIONS_STARTED.labels(kind.value).inc()
                emit(
                    self._db,
                    self._notifier,
                    f"{handler.event(work)}.start",
                    operation.subject_uuid,
                    before=before,
                )
            while step is not None:
                if lease.halt.is_set():
                    raise Interrupted(step)
                work.begin(step)
                step = handler.run_step(step, work)
        except queue.LeaseLost as exc:
            LOG.warning("Engine %s: %s", self.id, exc)
        except Interrupted:
            if lease.lost:  # another engine holds it: hand back nothing, touch nothing more
                LOG.warning(
                    "Engine %s abandoned operation %d at step %s: its lease was lost",
                    self.id,
                    operation.id,
                    work.step,
                )
            else:
                self._hand_back(operation.id, operation.claims)
        except ServiceUnavailable:
            LOG.warning(
                "Operation %d paused: database unavailable; another claim resumes it", operation.id
            )
        except Exception as exc:
            message = (
                exc.message
                if isinstance(exc, MoganError)
                else f"Unexpected error during {operation.kind} ({step}): {exc}"
            )
            if not isinstance(exc, MoganError):
                LOG.exception("Operation %d crashed", operation.id)
            try:
                work.failure = message
                handler.fail(work, message)
            except queue.LeaseLost as lost:
                LOG.warning("Engine %s: %s", self.id, lost)
            except Exception:
                LOG.exception(
                    "Operation %d could not record its failure; it will be retried "
                    "when its lease runs out",
                    operation.id,
                )
        finally:
            if work.outcome in (OperationStatus.SUCCEEDED, OperationStatus.FAILED):
                failed = work.outcome == OperationStatus.FAILED
                metrics.OPERATIONS_FINISHED.labels(kind.value, work.outcome.value).inc()
                try:
                    emit(
                        self._db,
                        self._notifier,
                        f"{handler.event(work)}.{'error' if failed else 'end'}",
                        operation.subject_uuid,
                        before=before,
                        priority="ERROR" if failed else "INFO",
                    )
                except Exception as exc:  # a notification never fails an operation
                    LOG.warning("Notification for operation %d not emitted: %s", operation.id, exc)
            if work.outcome is None:  # let go unfinished: its lease may run out unseen
                self._leases_quiet_until = None
            with self._running_guard:
                self._running.pop(operation.id, None)
            self._wakeup.set()

    def _hand_back(self, operation_id: int, claim: int) -> None:
        """Return an interrupted operation to the queue so the next engine resumes it at once."""
        try:
            queue.hand_back(self._db, operation_id, self.id, claim)
        except Exception as exc:
            LOG.warning(
                "Could not hand operation %d back (%s); its lease will run out", operation_id, exc
            )
