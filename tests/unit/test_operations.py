"""The service → engine contract: kinds, steps, typed states, and the handlers registered."""

from __future__ import annotations

import pytest

from mogan.core.operations import (
    STATE_TYPES,
    STEPS,
    CreateState,
    OperationKind,
    PowerState,
    first_step,
    load_state,
)
from mogan.core.placement import GroupPolicy, NetworkRequest
from mogan.engine.operations import HANDLERS


def test_every_kind_has_a_handler_for_exactly_its_steps():
    assert set(HANDLERS) == set(OperationKind) == set(STEPS) == set(STATE_TYPES)
    for kind, handler in HANDLERS.items():
        assert handler.kind == kind
        assert tuple(handler.steps()) == STEPS[kind], kind


@pytest.mark.parametrize("kind", list(OperationKind))
def test_a_state_survives_its_round_trip_through_json(kind: OperationKind):
    state = STATE_TYPES[kind](request_id="req-1")
    assert load_state(kind.value, state.to_json()) == state


def test_a_stored_state_from_another_release_still_loads():
    # Keys it no longer knows are dropped; keys it did not write take their defaults.
    loaded = load_state(
        "create", {"networks": [{"net_id": "n"}], "retired_key": 1, "request_id": "req-9"}
    )
    assert loaded == CreateState(request_id="req-9", networks=[NetworkRequest("n")])
    assert loaded.tried_nodes == [] and loaded.node_uuid is None
    assert load_state("power", None) == PowerState()


def test_first_steps():
    assert first_step(OperationKind.CREATE) == "schedule"
    assert first_step(OperationKind.DELETE) == "teardown"
    assert first_step(OperationKind.POWER) == "request"
    assert first_step(OperationKind.ADOPT) == "claim"


def test_an_unknown_kind_or_step_is_refused_not_guessed():
    with pytest.raises(ValueError):
        load_state("reboot-the-world", {})
    with pytest.raises(KeyError):
        HANDLERS[OperationKind.CREATE].run_step("teardown", None)  # type: ignore[arg-type]


def test_a_create_carries_its_networks_and_group_as_records_and_stores_them_as_before():
    state = CreateState(
        request_id="req-2",
        networks=[NetworkRequest("net-a", "10GE"), NetworkRequest("net-b")],
        group=GroupPolicy("g-1", "anti-affinity", 2),
    )
    stored = state.to_json()
    # The stored shape is the one earlier releases wrote (an operation survives an upgrade).
    assert stored["networks"] == [
        {"net_id": "net-a", "port_type": "10GE"},
        {"net_id": "net-b", "port_type": None},
    ]
    assert stored["group"] == {"uuid": "g-1", "policy": "anti-affinity", "max_per_domain": 2}
    loaded = load_state("create", stored)
    assert loaded == state
    assert loaded.networks[0].port_type == "10GE" and loaded.group.max_per_domain == 2
