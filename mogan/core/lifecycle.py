"""The node lifecycle: provision states in Ironic's words, and the one table of the moves
Mogan makes on the nodes it drives itself (redfish, fake).

    enroll → verifying → (inspecting) → available → active (serving) → cleaning → available

A node is enrolled in ``enroll`` and verified at once: the engine checks that its BMC
answers and accepts the credentials; a node that fails goes back to ``enroll`` with the
reason in ``last_error``, until an operator fixes its ``driver_info`` and asks again.

A failed inspection or clean ends in ``inspect failed`` / ``clean failed`` with the node in
maintenance (``mogan.core.states.MaintenanceKind``); maintenance is orthogonal to the state.
Only ``available`` nodes out of maintenance are scheduled.

A node enrolled in Ironic has Ironic's own provision state, mirrored by the inventory sync
(``deploying``, ``clean wait``…); Mogan's moves on it are the same ones, and the next sync
says what Ironic made of them.

The diagram in the operator guide is generated from ``TRANSITIONS`` (``mogan states
diagram --nodes``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from mogan.core.vocabulary import Word


class ProvisionState(Word):
    """Where a node is in its life (its ``provision_state``), for the nodes Mogan drives."""

    ENROLL = "enroll"
    VERIFYING = "verifying"
    INSPECTING = "inspecting"
    INSPECT_FAILED = "inspect failed"
    AVAILABLE = "available"
    ACTIVE = "active"
    CLEANING = "cleaning"
    CLEAN_FAILED = "clean failed"


ENROLL: Final = ProvisionState.ENROLL
VERIFYING: Final = ProvisionState.VERIFYING
INSPECTING: Final = ProvisionState.INSPECTING
INSPECT_FAILED: Final = ProvisionState.INSPECT_FAILED
AVAILABLE: Final = ProvisionState.AVAILABLE
ACTIVE: Final = ProvisionState.ACTIVE
CLEANING: Final = ProvisionState.CLEANING
CLEAN_FAILED: Final = ProvisionState.CLEAN_FAILED

STATES: Final = tuple(ProvisionState)

#: state -> states Mogan may move a node to from it.
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    # Enrolled: verified, then inspected first when asked, else ready at once; or back to
    # ``enroll`` when its BMC cannot be reached with what the node says.
    ENROLL: frozenset({VERIFYING}),
    VERIFYING: frozenset({ENROLL, INSPECTING, AVAILABLE}),
    INSPECTING: frozenset({AVAILABLE, INSPECT_FAILED}),
    # An operator inspects again, or lifts the maintenance (the node's data is theirs).
    INSPECT_FAILED: frozenset({INSPECTING, AVAILABLE}),
    # Claimed for an instance; inspected or cleaned by an operator's request.
    AVAILABLE: frozenset({ACTIVE, INSPECTING, CLEANING}),
    # Torn down: cleaned, or reused at once with ``[cleaning] mode = none``, or let go
    # before anything reached the machine (a claim that found no use); or its tear-down
    # failed, and it keeps what the tenant left until an operator acts.
    ACTIVE: frozenset({CLEANING, AVAILABLE, CLEAN_FAILED}),
    CLEANING: frozenset({AVAILABLE, CLEAN_FAILED}),
    # Only a clean that succeeds makes a node that failed one available again.
    CLEAN_FAILED: frozenset({CLEANING}),
}

#: What makes each move, for the diagram.
CAUSES: Final[dict[tuple[str, str], str]] = {
    (ENROLL, VERIFYING): "enrolled, or POST …/verify",
    (VERIFYING, ENROLL): "BMC check failed",
    (VERIFYING, INSPECTING): '"inspect": true',
    (VERIFYING, AVAILABLE): "BMC check passed",
    (INSPECT_FAILED, INSPECTING): "inspect again",
    (INSPECT_FAILED, AVAILABLE): "maintenance lifted",
    (AVAILABLE, ACTIVE): "claimed for an instance",
    (AVAILABLE, INSPECTING): "POST …/inspect",
    (AVAILABLE, CLEANING): "POST …/clean",
    (ACTIVE, CLEANING): "instance torn down",
    (ACTIVE, AVAILABLE): "mode none, or an unused claim",
    (ACTIVE, CLEAN_FAILED): "tear-down failed",
    (CLEAN_FAILED, CLEANING): "maintenance lifted, or POST …/clean",
}

#: States from which an operator may ask for an inspection / a clean.
#: (A node being verified is inspected by its verification when it was enrolled so.)
INSPECTABLE: Final = frozenset(
    s for s, targets in TRANSITIONS.items() if INSPECTING in targets and s != VERIFYING
)
CLEANABLE: Final = frozenset(s for s, targets in TRANSITIONS.items() if CLEANING in targets)


class CleaningMode(StrEnum):
    """What a clean between tenants wipes (``[cleaning] mode``, or ``cleaning_mode`` in a
    node's ``driver_info``)."""

    #: Nothing: the node is reused at once (a lab, or disks the tenant never writes).
    NONE = "none"
    #: The disks' metadata: logical volumes deleted and made afresh (partition tables and
    #: file systems gone); the data blocks are not overwritten.
    METADATA = "metadata"
    #: ``metadata``, then a cleaning image the operator provides overwrites every disk.
    FULL = "full"


@dataclass(frozen=True)
class BiosBaseline:
    """The BIOS a clean between tenants leaves pending for the next boot (``[cleaning]
    bios_baseline``): the factory's settings, the operator's, or both (settings over the
    factory's)."""

    factory_reset: bool = False
    settings: Mapping[str, str | int | bool] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> BiosBaseline | None:
        """``None`` for an empty option; ``factory``; or a JSON object of settings (with
        ``"factory": true`` in it for a reset first). ``ValueError`` saying what is wrong."""
        text = (text or "").strip()
        if not text:
            return None
        if text == "factory":
            return cls(factory_reset=True)
        try:
            found = json.loads(text)
        except ValueError:
            raise ValueError(
                "[cleaning] bios_baseline is 'factory' or a JSON object of BIOS settings"
            ) from None
        if not isinstance(found, dict) or not found:
            raise ValueError("[cleaning] bios_baseline must be a non-empty JSON object")
        factory = found.pop("factory", False)
        for name, value in found.items():
            if not isinstance(value, str | int | bool) or len(name) > 255:
                raise ValueError(f"[cleaning] bios_baseline: {name!r} needs a plain value")
        return cls(factory_reset=factory is True, settings=found)

    def describe(self) -> str:
        """In words, for a node's history: ``the factory settings and ProcTurboMode=Enabled``."""
        settings = ", ".join(f"{name}={value}" for name, value in self.settings.items())
        reset = "the factory settings" if self.factory_reset else ""
        return " and ".join(words for words in (reset, settings) if words)


class IllegalNodeTransition(Exception):
    """A provision state change the table does not allow: a bug in the caller."""


def sources_of(new: str) -> frozenset[str]:
    """The states a node may move to ``new`` from."""
    return frozenset(s for s, targets in TRANSITIONS.items() if new in targets)


def mermaid() -> str:
    """The transition table as a Mermaid state diagram (the operator guide shows it)."""
    lines = ["```mermaid", "stateDiagram-v2", "    [*] --> enroll: POST /v1/nodes"]
    for source in STATES:
        for target in sorted(TRANSITIONS[source]):
            cause = CAUSES.get((source, target))
            edge = f"    {source.replace(' ', '_')} --> {target.replace(' ', '_')}"
            lines.append(f"{edge}: {cause}" if cause else edge)
    lines.append("```")
    return "\n".join(lines) + "\n"


def diagram() -> str:
    """The transition table as a Graphviz ``dot`` document."""
    lines = ["digraph node_states {", '  rankdir="LR";']
    for source in STATES:
        for target in sorted(TRANSITIONS[source]):
            lines.append(f'  "{source}" -> "{target}";')
    lines.append("}")
    return "\n".join(lines)
