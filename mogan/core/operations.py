"""The service → engine contract: what an operation is, typed end to end.

A service enqueues an operation (a kind, its first step and a typed state); an engine claims
it, runs the handler registered for its kind step by step, and records each step reached and
the state it carries. The values are stored as the strings they name, so the enums below are
the only spelling of them anywhere.

A state is a frozen-schema dataclass per kind, stored as JSON. ``from_json`` tolerates keys a
newer or older release wrote (unknown keys are dropped, missing ones take their defaults), so
an operation survives an upgrade in the middle of its run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from mogan.core.images import ImageFacts
from mogan.core.placement import GroupPolicy, NetworkRequest


class SubjectKind(StrEnum):
    """What an operation works on, and whose history its action is recorded in."""

    INSTANCE = "instance"
    NODE = "node"
    #: The nodes a driver with an inventory of its own (Ironic) holds: a sync's subject.
    INVENTORY = "inventory"


class OperationKind(StrEnum):
    CREATE = "create"
    DELETE = "delete"
    POWER = "power"
    ADOPT = "adopt"
    REBUILD = "rebuild"
    CLEAN = "clean"
    INSPECT = "inspect"
    VERIFY = "verify"
    SYNC = "sync"
    INTERFACE = "interface"
    RESCUE = "rescue"


#: What each kind of operation works on.
SUBJECTS: dict[OperationKind, SubjectKind] = {
    OperationKind.CREATE: SubjectKind.INSTANCE,
    OperationKind.DELETE: SubjectKind.INSTANCE,
    OperationKind.POWER: SubjectKind.INSTANCE,
    OperationKind.ADOPT: SubjectKind.INSTANCE,
    OperationKind.REBUILD: SubjectKind.INSTANCE,
    OperationKind.CLEAN: SubjectKind.NODE,
    OperationKind.INSPECT: SubjectKind.NODE,
    OperationKind.VERIFY: SubjectKind.NODE,
    OperationKind.SYNC: SubjectKind.INVENTORY,
    OperationKind.INTERFACE: SubjectKind.INSTANCE,
    OperationKind.RESCUE: SubjectKind.INSTANCE,
}

#: The kinds whose subject is a node.
NODE_KINDS = frozenset(kind for kind, subject in SUBJECTS.items() if subject is SubjectKind.NODE)


class OperationStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Statuses of an operation that still has work to do (and blocks later ones of its instance).
UNFINISHED = (OperationStatus.PENDING, OperationStatus.RUNNING)


class Step(StrEnum):
    """Every step of every kind; ``STEPS`` says which belong to which."""

    # create
    SCHEDULE = "schedule"
    #: Neutron only: make and bind the ports of the NICs the schedule step claimed.
    PLUG = "plug"
    DEPLOY = "deploy"
    FINISH = "finish"
    # delete
    TEARDOWN = "teardown"
    RELEASE = "release"
    # power
    REQUEST = "request"
    OBSERVE = "observe"
    # adopt
    CLAIM = "claim"
    ADOPT = "adopt"
    # rebuild (then ``finish``, as a create)
    REBUILD = "rebuild"
    # node operations
    CLEAN = "clean"
    INSPECT = "inspect"
    VERIFY = "verify"
    # inventory operations
    SYNC = "sync"
    # interfaces after create
    ATTACH = "attach"
    DETACH = "detach"
    # rescue, and back
    RESCUE = "rescue"
    UNRESCUE = "unrescue"


#: The event each step is recorded as in the instance's actions (``GET …/actions/{id}``),
#: unless the step names its events itself (a schedule records ``schedule`` and ``network``).
EVENT_NAMES: dict[Step, str] = {
    Step.SCHEDULE: "schedule",
    Step.PLUG: "network",
    Step.DEPLOY: "deploy",
    Step.FINISH: "power_check",
    Step.TEARDOWN: "teardown",
    Step.RELEASE: "release",
    Step.REQUEST: "power",
    Step.OBSERVE: "power_wait",
    Step.CLAIM: "claim",
    Step.ADOPT: "adopt",
    Step.REBUILD: "rebuild",
    Step.CLEAN: "clean",
    Step.INSPECT: "inspect",
    Step.VERIFY: "verify",
    Step.SYNC: "sync",
    Step.ATTACH: "attach_interface",
    Step.DETACH: "detach_interface",
    Step.RESCUE: "rescue",
    Step.UNRESCUE: "unrescue",
}

#: The steps of each kind, first step first.
STEPS: dict[OperationKind, tuple[Step, ...]] = {
    OperationKind.CREATE: (Step.SCHEDULE, Step.PLUG, Step.DEPLOY, Step.FINISH),
    OperationKind.DELETE: (Step.TEARDOWN, Step.RELEASE),
    OperationKind.POWER: (Step.REQUEST, Step.OBSERVE),
    OperationKind.ADOPT: (Step.CLAIM, Step.ADOPT),
    OperationKind.REBUILD: (Step.REBUILD, Step.FINISH),
    OperationKind.CLEAN: (Step.CLEAN,),
    OperationKind.INSPECT: (Step.INSPECT,),
    OperationKind.VERIFY: (Step.VERIFY,),
    OperationKind.SYNC: (Step.SYNC,),
    # One step or the other: the request names which (``InterfaceState.detach``).
    OperationKind.INTERFACE: (Step.ATTACH, Step.DETACH),
    # Likewise (``RescueState.unrescue``).
    OperationKind.RESCUE: (Step.RESCUE, Step.UNRESCUE),
}

S = TypeVar("S", bound="OperationState")


@dataclass
class OperationState:
    """What an operation carries from step to step (and across a takeover)."""

    kind: ClassVar[OperationKind]
    #: The request that asked for it: its log lines and notifications carry this id.
    request_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls: type[S], data: dict[str, Any] | None) -> S:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


@dataclass
class CreateState(OperationState):
    kind: ClassVar[OperationKind] = OperationKind.CREATE
    #: The requested networks, in order.
    networks: list[NetworkRequest] = field(default_factory=list)
    availability_zone: str | None = None
    #: The instance type's extra specs as they were when the create was accepted.
    extra_specs: dict[str, str] = field(default_factory=dict)
    #: The instance's project (nodes dedicated to other projects are not for it).
    project_id: str = ""
    #: Nodes whose deploy failed, never tried again for this instance; and why each failed.
    tried_nodes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: The node claimed by the schedule step (or, for a multi-create, by the request).
    node_uuid: str | None = None
    #: A node the request claimed already: the NICs that serve each network, by request
    #: order, and their MACs; the schedule step wires them rather than claiming.
    claimed_nics: list[str] = field(default_factory=list)
    claimed_macs: dict[str, str] = field(default_factory=dict)
    #: The server group joined.
    group: GroupPolicy | None = None
    #: Scheduler hints: instances whose failure domains to avoid, or to share.
    different_host: list[str] = field(default_factory=list)
    same_host: list[str] = field(default_factory=list)
    #: A Glance image as the caller was allowed to see it (None: a builtin image, read from
    #: Mogan's registry at deploy time).
    image: ImageFacts | None = None
    #: Neutron only: the ids of the security groups of the ports Mogan makes (None: Neutron's
    #: default group).
    security_groups: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        stored = super().to_json()
        # A builtin request is stored as earlier releases stored it; Neutron's fields only
        # when given.
        stored["networks"] = [
            {k: v for k, v in n.items() if v is not None or k in ("net_id", "port_type")}
            for n in stored["networks"]
        ]
        return stored

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> CreateState:
        state = super().from_json(data)
        state.networks = [
            n
            if isinstance(n, NetworkRequest)
            else NetworkRequest(
                n["net_id"], n.get("port_type"), n.get("port_id"), n.get("fixed_ip")
            )
            for n in state.networks
        ]
        if isinstance(state.group, dict):
            state.group = GroupPolicy(**state.group)
        if isinstance(state.image, dict):
            state.image = ImageFacts.from_json(state.image)
        return state


@dataclass
class DeleteState(OperationState):
    kind: ClassVar[OperationKind] = OperationKind.DELETE
    node_uuid: str | None = None
    #: Why the node's tear-down failed: it goes to maintenance rather than back to the pool.
    cleaning_failed: str | None = None


@dataclass
class PowerState(OperationState):
    kind: ClassVar[OperationKind] = OperationKind.POWER
    #: What the tenant asked for (``on``, ``soft_off``…) and the power state that fulfils it.
    action: str = ""
    target: str = ""
    node_uuid: str | None = None
    #: Seconds allowed for the hardware to be seen in ``target``, and when they run out.
    timeout: float | None = None
    deadline: float | None = None
    #: Whether the deadline passed before the target was seen, and what was seen last then.
    deadline_passed: bool = False
    observed: str | None = None
    #: The soft action this hard one replaced after it was not honoured in time.
    fell_back_from: str | None = None


@dataclass
class AdoptState(OperationState):
    kind: ClassVar[OperationKind] = OperationKind.ADOPT
    node_uuid: str = ""


@dataclass
class RebuildState(OperationState):
    kind: ClassVar[OperationKind] = OperationKind.REBUILD
    #: The instance type's extra specs as they were when the rebuild was accepted.
    extra_specs: dict[str, str] = field(default_factory=dict)
    preserve_ephemeral: bool = False
    #: The instance's node, as the rebuild step found it.
    node_uuid: str | None = None
    #: A Glance image as the caller was allowed to see it (as ``CreateState.image``).
    image: ImageFacts | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> RebuildState:
        state = super().from_json(data)
        if isinstance(state.image, dict):
            state.image = ImageFacts.from_json(state.image)
        return state


@dataclass
class CleanState(OperationState):
    kind: ClassVar[OperationKind] = OperationKind.CLEAN
    #: ``mogan.core.lifecycle.CleaningMode``: what to wipe.
    mode: str = "metadata"
    #: The node's last clean (or a clean-up) failed: tear down what may be left before
    #: wiping, and clear the failure once clean.
    after_failure: bool = False
    #: The instance whose tear-down asked for the clean (None for an operator's clean).
    after_instance: str | None = None


@dataclass
class InspectState(OperationState):
    kind: ClassVar[OperationKind] = OperationKind.INSPECT
    #: Replace the properties and port types an operator set by hand.
    overwrite: bool = False


@dataclass
class VerifyState(OperationState):
    kind: ClassVar[OperationKind] = OperationKind.VERIFY
    #: The node is being enrolled (``verifying``): on success it becomes available, or is
    #: inspected first when ``inspect``; on failure it goes back to ``enroll``. Otherwise
    #: the check only records what it found.
    enrolling: bool = False
    inspect: bool = False


@dataclass
class SyncState(OperationState):
    kind: ClassVar[OperationKind] = OperationKind.SYNC


@dataclass
class InterfaceState(OperationState):
    """Another NIC of the instance's node on a network (``attach``), or one taken off it."""

    kind: ClassVar[OperationKind] = OperationKind.INTERFACE
    detach: bool = False
    #: Attach: what the NIC is to serve (as a create's, checked with the caller's token).
    network: NetworkRequest | None = None
    security_groups: list[str] | None = None
    project_id: str = ""
    #: Detach: the port taken off.
    port_uuid: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> InterfaceState:
        state = super().from_json(data)
        if isinstance(state.network, dict):
            state.network = NetworkRequest(**state.network)
        return state


@dataclass
class RescueState(OperationState):
    """Boot the instance's node into a rescue system (``rescue``), or back to its own disk
    (``unrescue``)."""

    kind: ClassVar[OperationKind] = OperationKind.RESCUE
    unrescue: bool = False
    #: The password the rescue system's root login takes; a secret, forgotten (set to
    #: ``None`` in the stored state) once the rescue step has handed it to the driver.
    rescue_password: str | None = None
    #: The rescue image the tenant chose (``None``: the operator's ``[rescue] image``), as
    #: Glance showed it to the tenant where images are Glance's.
    image_uuid: str | None = None
    image: ImageFacts | None = None
    #: The instance's own Glance image as the caller saw it, for a driver whose rescue takes
    #: the instance's boot media (redfish) and an unrescue that puts them back.
    boot_image: ImageFacts | None = None
    node_uuid: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> RescueState:
        state = super().from_json(data)
        if isinstance(state.image, dict):
            state.image = ImageFacts.from_json(state.image)
        if isinstance(state.boot_image, dict):
            state.boot_image = ImageFacts.from_json(state.boot_image)
        return state


STATE_TYPES: dict[OperationKind, type[OperationState]] = {
    state.kind: state
    for state in (
        CreateState,
        DeleteState,
        PowerState,
        AdoptState,
        RebuildState,
        CleanState,
        InspectState,
        VerifyState,
        SyncState,
        InterfaceState,
        RescueState,
    )
}


def first_step(kind: OperationKind, state: OperationState | None = None) -> Step:
    if isinstance(state, InterfaceState) and state.detach:
        return Step.DETACH
    if isinstance(state, RescueState) and state.unrescue:
        return Step.UNRESCUE
    return STEPS[kind][0]


def load_state(kind: str, data: dict[str, Any] | None) -> OperationState:
    """The typed state of a stored operation of ``kind``."""
    return STATE_TYPES[OperationKind(kind)].from_json(data)
