"""What every operation handler shares: its working context and fault recording."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from mogan.core import hosts, states
from mogan.core.clock import utcnow
from mogan.core.errors import DriverError, MoganError
from mogan.core.images import ImageFacts
from mogan.core.operations import (
    EVENT_NAMES,
    SUBJECTS,
    OperationKind,
    OperationState,
    OperationStatus,
    Step,
    SubjectKind,
)
from mogan.core.placement import TypeRequirements
from mogan.db import actions, deploy_templates, instances, networks, nodes, queue
from mogan.db.database import Database, Executor
from mogan.db.records import ImageRow, InstanceRow, NodeRow
from mogan.drivers.base import DeployRequest, DeployResult, Driver, NodeRef
from mogan.drivers.registry import DriverRegistry
from mogan.engine.neutron_ports import NeutronPorts
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
    #: What server groups spread instances across (``[scheduler] failure_domain``).
    failure_domain: str = "node"
    #: What a clean between tenants wipes (``[cleaning] mode``), unless a node says.
    cleaning_mode: str = "metadata"
    #: ``[inspection] port_type_by_speed``: port type by link speed (Mbit/s, as a string).
    port_type_by_speed: dict[str, str] = field(default_factory=dict)
    #: A Glance image -> the URL of Mogan's verified copy, for drivers whose BMCs fetch a URL
    #: (``mogan.cloud.image_cache``); None when ``[image] cache_dir`` is not set.
    glance_copies: Callable[[ImageFacts], str] | None = None
    #: Ports from Neutron (``[network] backend = neutron``); None: Mogan's own networks.
    neutron: NeutronPorts | None = None
    #: ``[rescue] image``: the rescue system booted unless the tenant names one (a URL, or
    #: an image of Mogan's registry); None: the driver's own (Ironic's rescue ramdisk).
    rescue_image: str | None = None


@dataclass
class Work(Generic[S]):
    """The operation being carried out and what a step may use."""

    operation_id: int
    #: What the operation works on (``SUBJECTS`` of its kind) and which one.
    subject_kind: SubjectKind
    subject_uuid: str
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
    #: The step being carried out, and when it (or its last noted event) started.
    step: Step | None = None
    _since: dt.datetime = field(default_factory=utcnow, repr=False)
    #: The events the step noted, recorded with its progress (``advance``, ``finish``).
    _events: list[actions.Event] = field(default_factory=list, repr=False)
    #: The results of the events this step has recorded so far.
    _noted: set[str] = field(default_factory=set, repr=False)
    #: Why the operation failed, for its action's record (set before ``Handler.fail``).
    failure: str | None = None
    #: What the action's record says on a success or cancellation, when there is more to say.
    summary: str | None = None

    @property
    def instance_uuid(self) -> str:
        """The instance an instance operation works on."""
        assert self.subject_kind is SubjectKind.INSTANCE, self.subject_kind
        return self.subject_uuid

    @property
    def node_uuid(self) -> str:
        """The node a node operation works on."""
        assert self.subject_kind is SubjectKind.NODE, self.subject_kind
        return self.subject_uuid

    def _action(self, executor: Executor) -> int | None:
        """The id of the action this operation carries out, read once per run."""
        if "action_id" not in self.memo:
            self.memo["action_id"] = actions.action_id(
                executor, self.subject_uuid, self.state.request_id
            )
        found: int | None = self.memo["action_id"]
        return found

    def begin(self, step: Step) -> None:
        """``step`` starts now."""
        self.step = step
        self._since = utcnow()
        self._events.clear()
        self._noted = set()

    def note(self, event: str, details: str | None = None, *, failed: bool = False) -> None:
        """Record (with the step's progress) that ``event`` happened in this step: the
        instance's action history shows it. A step that notes nothing is recorded as one
        event named after the step."""
        now = utcnow()
        result = actions.ERROR if failed else actions.SUCCESS
        self._events.append(actions.Event(event, result, self._since, details))
        self._since = now

    def _record_events(self, executor: Executor, result: str, details: str | None) -> None:
        """Write the step's events; one named after the step when it noted none, or when it
        fails without having noted the error."""
        events = self._events
        noted = self._noted | {event.result for event in events}
        if self.step is not None and (
            not noted or (result == actions.ERROR and actions.ERROR not in noted)
        ):
            events.append(actions.Event(EVENT_NAMES[self.step], result, self._since, details))
        self._noted = noted | {result}
        actions.add_events(executor, self._action(executor), events, self.owner)
        self._events = []
        self._since = utcnow()

    def advance(self, executor: Executor, step: Step) -> Step:
        """Record that the next step is ``step`` (in the caller's transaction) and return it."""
        self._record_events(executor, actions.SUCCESS, None)
        queue.save_progress(
            executor, self.operation_id, self.owner, self.claim, step, self.state.to_json()
        )
        return step

    def finish(
        self, executor: Executor, status: OperationStatus = OperationStatus.SUCCEEDED
    ) -> None:
        """End the operation with ``status``, and its action with it (in the caller's
        transaction)."""
        result, message = {
            OperationStatus.SUCCEEDED: (actions.SUCCESS, self.summary),
            OperationStatus.FAILED: (actions.ERROR, self.failure),
            OperationStatus.CANCELLED: (actions.CANCELLED, self.summary),
        }.get(status, (actions.ERROR, self.failure))
        self._record_events(executor, result, message if result != actions.SUCCESS else None)
        actions.finish(executor, self._action(executor), result, message)
        queue.finish(
            executor, self.operation_id, self.owner, self.claim, status, self.state.to_json()
        )
        self.outcome = status

    def cancel(self, reason: str, executor: Executor | None = None) -> None:
        """End the operation as cancelled because its subject moved on (``reason`` goes on
        its action's record): in ``executor``'s transaction, or in one of its own."""
        self.summary = reason
        if executor is not None:
            self.finish(executor, OperationStatus.CANCELLED)
            return
        with self.db.transaction() as tx:
            self.finish(tx, OperationStatus.CANCELLED)

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
                # What drivers say of the node, they say by this name: a mention, shown to
                # operators as the name and to tenants as a host id (``mogan.core.hosts``).
                mention(node),
                dict(node.driver_info or {}),
                instance_uuid=node.instance_uuid,
                properties=dict(node.properties or {}),
            ),
        )


def mention(node: NodeRow) -> str:
    """The node in an event's or a fault's words (see ``mogan.core.hosts``)."""
    return hosts.mention(node.uuid, node.name)


def image_to_deploy(
    work: Work[Any],
    driver: Driver,
    instance: InstanceRow,
    builtin: ImageRow | None,
    glance: ImageFacts | None,
    doing: str,
) -> tuple[ImageFacts, str]:
    """The image a deploy or rebuild writes, and the URL its driver is given: a builtin
    image's own; a Glance image's id for a driver whose deployer reads Glance (Ironic); else
    Mogan's verified copy (``OperationFailed`` when there is no cache to make one in, or
    Glance fails)."""
    if glance is None:
        if builtin is None:
            raise OperationFailed(f"Image {instance.image_uuid} was deleted before the {doing}.")
        facts = ImageFacts(
            uuid=builtin.uuid,
            name=builtin.name,
            disk_format=builtin.disk_format,
            checksum=builtin.checksum,
            url=builtin.url,
        )
        return facts, builtin.url
    if driver.reads_glance:
        return glance, glance.uuid
    copies = work.settings.glance_copies
    if copies is None:
        raise OperationFailed(
            f"Driver {driver.name} boots images from a URL, and Glance image {glance.uuid} "
            "has none a BMC can fetch: set [image] cache_dir and cache_url."
        )
    try:
        return glance, copies(glance)
    except MoganError as exc:
        raise OperationFailed(
            f"Could not copy Glance image {glance.uuid} for the {doing}: {exc.message}"
        ) from None


def deploy_request(
    instance: InstanceRow,
    image: ImageFacts,
    image_url: str,
    extra_specs: dict[str, str],
    subnets: dict[str, dict[str, Any]],
    *,
    preserve_ephemeral: bool = False,
    deploy_steps: tuple[Mapping[str, Any], ...] = (),
) -> DeployRequest:
    """What a driver needs to deploy ``instance`` from ``image``: its ports and addresses,
    its type's ``extra_specs``, and what its config drive carries."""
    return DeployRequest(
        instance_uuid=instance.uuid,
        instance_name=instance.name,
        image_url=image_url,
        image_checksum=f"{image.hash_algo}:{image.hash_value}"
        if image.hash_algo and image.hash_value
        else image.checksum,
        image_disk_format=image.disk_format,
        network_info=instance.network_info,
        subnets=subnets,
        availability_zone=instance.availability_zone,
        extra=instance.extra or {},
        extra_specs=extra_specs,
        project_id=instance.project_id,
        key_name=instance.key_name,
        public_key=instance.key_data,
        user_data=None if instance.user_data is None else base64.b64decode(instance.user_data),
        metadata=instance.user_metadata or {},
        preserve_ephemeral=preserve_ephemeral,
        deploy_steps=deploy_steps,
    )


def template_steps(work: Work[Any], extra_specs: Mapping[str, str]) -> tuple[dict[str, Any], ...]:
    """The steps of the deploy templates named after the type's required traits, highest
    priority first (as Ironic orders deploy steps)."""
    traits = TypeRequirements.from_extra_specs(extra_specs).required_traits
    steps = [step for t in deploy_templates.named(work.db, traits) for step in t.steps]
    return tuple(sorted(steps, key=lambda step: -int(step["priority"])))


def record_configuration(tx: Executor, node_uuid: str, result: DeployResult) -> None:
    """Keep what the driver reports its deploy steps left in the node's BIOS and RAID."""
    found = result.configuration
    if found is None:
        return
    deploy_templates.record_configuration(
        tx,
        node_uuid,
        bios_settings=found.get("bios_settings"),
        raid_config=found.get("raid_config"),
        applied_steps=list(found.get("applied_steps") or []),
        at=utcnow(),
    )


def subnets_of(work: Work[Any], network_info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """uuid → ``cidr``, ``gateway_ip`` of the subnets of an instance's addresses (Mogan's,
    or Neutron's)."""
    uuids = [ip["subnet_id"] for port in network_info.values() for ip in port.get("fixed_ips", [])]
    if work.settings.neutron is not None:
        return {
            subnet.uuid: {"cidr": subnet.cidr, "gateway_ip": subnet.gateway_ip}
            for subnet in work.settings.neutron.subnets(uuids, work.stopping)
        }
    return {
        subnet.uuid: {"cidr": subnet.cidr, "gateway_ip": subnet.gateway_ip}
        for subnet in networks.subnets_by_uuid(work.db, uuids).values()
    }


def become_active(
    work: Work, node: NodeRow, driver: Driver, ref: NodeRef, *, from_status: str = states.BUILDING
) -> bool:
    """End a create, adoption or rebuild: read the node's power state (unknown if that
    fails) and make the instance ``active`` (from ``from_status``) with it; False when the
    instance had moved on meanwhile (its operation then ends as cancelled)."""
    try:
        power = work.driver_call(
            lambda: driver.power.get_power_state(ref), f"power state of node {mention(node)}"
        )
    except DriverError as exc:
        LOG.warning("Power state of node %s unknown: %s", node.name, exc.message)
        power = None
    with work.db.transaction() as connection:
        return activate(connection, work, node.uuid, power, from_status=from_status)


def activate(
    executor: Executor,
    work: Work,
    node_uuid: str,
    power: str | None,
    *,
    from_status: str = states.BUILDING,
    **values: Any,
) -> bool:
    """In the caller's transaction: the instance, if still ``from_status``, becomes
    ``active`` with ``power`` (and ``values``), the node records ``power``, the operation
    succeeds. False when the instance had moved on meanwhile: the operation then ends as
    cancelled."""
    if not instances.move(
        executor,
        work.instance_uuid,
        from_status,
        status=states.ACTIVE,
        launched_at=utcnow(),
        power_state=power,
        **values,
    ):
        work.cancel(f"Stopped: the instance is no longer {from_status}.", executor)
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
        """The notification event of this operation, without ``.start``/``.end``/``.error``:
        ``instance.<kind>``, or ``node.<kind>`` for a node's operation."""
        return f"{SUBJECTS[self.kind]}.{self.kind}"

    def run_step(self, step: Step, work: Work[S]) -> Step | None:
        return self.steps()[step](work)

    def fail(self, work: Work[S], message: str) -> None:
        """End the operation after an error, leaving the instance in a state a person can act on."""
        raise NotImplementedError
