"""Instance statuses, power states and the one table of allowed status transitions.

The state diagram in the docs is generated from ``TRANSITIONS`` (``mogan states diagram``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from mogan.core.vocabulary import Word


class InstanceStatus(Word):
    """Where an instance is in its life (its ``status``)."""

    BUILDING = "building"
    ACTIVE = "active"
    #: Being redeployed on its node from an image (``PUT …/states/provision`` ``rebuild``).
    REBUILDING = "rebuilding"
    #: Booting a rescue system on its node, its own disk left untouched
    #: (``POST …/states/rescue``); ``rescue`` once that system runs.
    RESCUING = "rescuing"
    RESCUE = "rescue"
    #: Booting its own disk again (``DELETE …/states/rescue``).
    UNRESCUING = "unrescuing"
    ERROR = "error"
    DELETING = "deleting"


BUILDING: Final = InstanceStatus.BUILDING
ACTIVE: Final = InstanceStatus.ACTIVE
ERROR: Final = InstanceStatus.ERROR
DELETING: Final = InstanceStatus.DELETING
REBUILDING: Final = InstanceStatus.REBUILDING
RESCUING: Final = InstanceStatus.RESCUING
RESCUE: Final = InstanceStatus.RESCUE
UNRESCUING: Final = InstanceStatus.UNRESCUING

STATUSES: Final = tuple(InstanceStatus)
#: The status every instance starts in.
INITIAL: Final = BUILDING

#: status -> statuses it may move to. ``deleting`` ends with the row's removal.
TRANSITIONS: Final[dict[str, frozenset[InstanceStatus]]] = {
    BUILDING: frozenset({ACTIVE, ERROR, DELETING}),
    ACTIVE: frozenset({REBUILDING, RESCUING, ERROR, DELETING}),
    REBUILDING: frozenset({ACTIVE, ERROR, DELETING}),
    # A rescue that fails but is undone leaves the instance active (with the fault shown).
    RESCUING: frozenset({RESCUE, ACTIVE, ERROR, DELETING}),
    RESCUE: frozenset({UNRESCUING, ERROR, DELETING}),
    UNRESCUING: frozenset({ACTIVE, ERROR, DELETING}),
    # An instance in error on its node (a failed rebuild, say) may be rebuilt again; one a
    # rescue left half-done may be unrescued.
    ERROR: frozenset({REBUILDING, UNRESCUING, DELETING}),
    DELETING: frozenset({ERROR}),
}

#: Statuses from which a rebuild may start (from ``error`` only while it still has a node).
REBUILDABLE: Final = frozenset(s for s, targets in TRANSITIONS.items() if REBUILDING in targets)

#: The status an instance in a passing status is on its way to (``GET …/states``
#: ``target_status``); ``deleting`` ends with the instance gone.
TARGET_STATUS: Final[dict[str, InstanceStatus]] = {
    BUILDING: ACTIVE,
    REBUILDING: ACTIVE,
    RESCUING: RESCUE,
    UNRESCUING: ACTIVE,
}

#: Statuses from which a rescue may start, and an unrescue (from ``error`` only on a node).
RESCUABLE: Final = frozenset(s for s, targets in TRANSITIONS.items() if RESCUING in targets)
UNRESCUABLE: Final = frozenset(s for s, targets in TRANSITIONS.items() if UNRESCUING in targets)

#: Statuses from which a delete may start.
DELETABLE: Final = frozenset(s for s, targets in TRANSITIONS.items() if DELETING in targets)


class PowerState(Word):
    """What the hardware was seen in, in Ironic's words (an instance's ``power_state``)."""

    POWER_ON = "power on"
    POWER_OFF = "power off"


POWER_ON: Final = PowerState.POWER_ON
POWER_OFF: Final = PowerState.POWER_OFF
POWER_STATES: Final = tuple(PowerState)


class PowerTarget(Word):
    """What a tenant may ask for in ``PUT …/states/power`` — and what a driver is asked to
    do: the one spelling of the power vocabulary (the request schema, the drivers' tables,
    the engine's events and the records are all keyed by it)."""

    ON = "on"
    OFF = "off"
    SOFT_OFF = "soft_off"
    REBOOT = "reboot"
    SOFT_REBOOT = "soft_reboot"

    @property
    def observed(self) -> str:
        """The power state the hardware must be seen in for the request to be done."""
        return POWER_OFF if self in (PowerTarget.OFF, PowerTarget.SOFT_OFF) else POWER_ON

    @property
    def soft(self) -> bool:
        """It asks the operating system (ACPI), so the machine must be running."""
        return self in (PowerTarget.SOFT_OFF, PowerTarget.SOFT_REBOOT)

    @property
    def hard(self) -> PowerTarget:
        """The action a soft one falls back to when it is not honoured in time (itself for
        a hard one)."""
        return {
            PowerTarget.SOFT_OFF: PowerTarget.OFF,
            PowerTarget.SOFT_REBOOT: PowerTarget.REBOOT,
        }.get(self, self)

    @property
    def action(self) -> str:
        """The action it is recorded as in the instance's history (Nova's names)."""
        return _POWER_ACTIONS[self]

    @property
    def event(self) -> str:
        """The notification it is announced by (``.start``, ``.end``, ``.error``)."""
        return (
            "instance.power_off"
            if self.observed == POWER_OFF
            else ("instance.power_on" if self is PowerTarget.ON else "instance.reboot")
        )


_POWER_ACTIONS: Final[dict[str, str]] = {
    PowerTarget.ON: "power_on",
    PowerTarget.OFF: "power_off",
    PowerTarget.SOFT_OFF: "soft_power_off",
    PowerTarget.REBOOT: "reboot",
    PowerTarget.SOFT_REBOOT: "soft_reboot",
}


class IllegalTransition(Exception):
    """A status change the transition table does not allow: a bug in the caller, never a
    tenant's mistake (a tenant's request that cannot be met is a ``Conflict`` before this)."""


def can_transition(current: str, new: str) -> bool:
    """True when ``TRANSITIONS`` allows moving from ``current`` to ``new``."""
    return new in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, new: str) -> None:
    """Raise ``IllegalTransition`` unless ``TRANSITIONS`` allows ``current`` → ``new``.

    Every status change of an instance passes through here (``mogan.db.instances.move``), so
    the table is the law, and the diagram generated from it tells the truth.
    """
    if not can_transition(current, new):
        raise IllegalTransition(f"An instance cannot move from {current!r} to {new!r}.")


def diagram() -> str:
    """The transition table as a Graphviz ``dot`` document."""
    lines = ["digraph instance_states {", '  rankdir="LR";']
    for source in STATUSES:
        for target in sorted(TRANSITIONS[source]):
            lines.append(f'  "{source}" -> "{target}";')
    lines.append('  "deleting" -> "(gone)";')
    lines.append("}")
    return "\n".join(lines)


class MaintenanceKind(StrEnum):
    """Why a node is in maintenance, as data; its ``maintenance_reason`` says it to a person.

    What may lift it depends on the kind: only an operator lifts ``operator``,
    ``clean_failed`` and ``failed_cleanup`` (a sync may lift ``failed_cleanup`` once it has
    torn the leftover deployment down); the owner's next inventory sync lifts ``owner``.
    """

    #: Set through the API by an operator, for the operator's reason.
    OPERATOR = "operator"
    #: Mirrored from the service that owns the node (Ironic), or the owner lost the node.
    OWNER = "owner"
    #: A failed deploy could not be undone; the node may still hold that instance's
    #: deployment (``nodes.leftover_instance_uuid``).
    FAILED_CLEANUP = "failed_cleanup"
    #: Cleaning the node between tenants failed (``clean failed``): the node may hold the
    #: last tenant's data. Lifting the maintenance cleans it again.
    CLEAN_FAILED = "clean_failed"
    #: Inspecting the node failed (``inspect failed``).
    INSPECT_FAILED = "inspect_failed"
