"""Addresses, states, secrets, patching: the pure parts."""

from __future__ import annotations

import pytest

from mogan.core import addresses, secrets, states
from mogan.core.errors import InvalidInput
from mogan.services.patching import apply_patch


def test_default_pool_skips_network_broadcast_and_edge_gateway():
    pool = addresses.default_pool("10.0.0.0/29", "10.0.0.1")
    assert (str(pool.start), str(pool.end)) == ("10.0.0.2", "10.0.0.6")
    v6 = addresses.default_pool("2001:db8::/126", None)
    assert (str(v6.start), str(v6.end)) == ("2001:db8::1", "2001:db8::3")


def test_addresses_are_numbered_through_every_pool_without_the_gateway_round_and_round():
    pools = addresses.validate_subnet(
        "10.0.0.0/24", "10.0.0.3", [("10.0.0.20", "10.0.0.21"), ("10.0.0.2", "10.0.0.5")]
    )
    assert addresses.pool_size(pools, "10.0.0.3") == 5
    assert [addresses.nth_address(pools, "10.0.0.3", n) for n in range(7)] == [
        "10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.20", "10.0.0.21", "10.0.0.2", "10.0.0.4"
    ]  # fmt: skip
    v6 = addresses.validate_subnet("2001:db8::/125", None, [])
    assert addresses.nth_address(v6, None, 6) == "2001:db8::7"
    assert addresses.nth_address(v6, None, 7) == "2001:db8::1"
    only_the_gateway = addresses.validate_subnet("10.0.0.0/24", None, [("10.0.0.1", "10.0.0.1")])
    assert addresses.nth_address(only_the_gateway, "10.0.0.1", 0) is None


@pytest.mark.parametrize(
    "cidr, gateway, pools, words",
    [
        ("10.0.0.0/24", "10.0.1.1", [], "outside"),
        ("nonsense", None, [], "not a valid network"),
        ("10.0.0.0/24", None, [("10.0.0.9", "10.0.0.2")], "ends before"),
        ("10.0.0.0/24", None, [("10.0.0.2", "10.0.0.9"), ("10.0.0.5", "10.0.0.20")], "overlap"),
    ],
)
def test_validate_subnet_says_what_is_wrong(cidr, gateway, pools, words):
    with pytest.raises(ValueError, match=words):
        addresses.validate_subnet(cidr, gateway, pools)


def test_transition_table():
    assert states.can_transition(states.BUILDING, states.ACTIVE)
    assert not states.can_transition(states.ERROR, states.ACTIVE)
    # Every status but ``deleting`` itself may be deleted from, a rescued one included.
    assert set(states.STATUSES) - {states.DELETING} == states.DELETABLE
    # A rescue starts from active only; an unrescue from rescue, or from error (a rescue
    # that failed half-way), and a rescued instance cannot be rebuilt.
    assert {states.ACTIVE} == states.RESCUABLE
    assert {states.RESCUE, states.ERROR} == states.UNRESCUABLE
    assert not states.can_transition(states.RESCUE, states.REBUILDING)
    assert states.TARGET_STATUS[states.RESCUING] == states.RESCUE
    # A rebuild starts from active, or from error (where the instance still has its node).
    assert {states.ACTIVE, states.ERROR} == states.REBUILDABLE
    assert not states.can_transition(states.BUILDING, states.REBUILDING)
    assert '"building" -> "active"' in states.diagram()


def test_secrets_are_masked_at_any_depth_and_kept_through_patches():
    info = {
        "ipmi_password": "p",
        "nested": {"auth_token": "t"},
        "address": "a",
        "empty_password": "",
    }
    masked = secrets.mask(info)
    assert masked == {
        "ipmi_password": "******",
        "nested": {"auth_token": "******"},
        "address": "a",
        "empty_password": "",
    }
    assert secrets.keep_unchanged_secrets(masked, info)["ipmi_password"] == "p"


def test_patch_rules():
    document = {"name": "a", "extra": {"k": "v"}}
    assert apply_patch(
        document, [{"op": "replace", "path": "/extra/new", "value": "x"}], ("/name", "/extra")
    ) == {"name": "a", "extra": {"k": "v", "new": "x"}}
    assert apply_patch(
        document,
        [
            {"op": "test", "path": "/name", "value": "a"},
            {"op": "move", "from": "/extra/k", "path": "/extra/j"},
        ],
        ("/name", "/extra"),
    )["extra"] == {"j": "v"}
    with pytest.raises(InvalidInput, match="test failed"):
        apply_patch(document, [{"op": "test", "path": "/name", "value": "b"}], ("/name",))
    with pytest.raises(InvalidInput, match="cannot be changed"):
        apply_patch(document, [{"op": "move", "from": "/status", "path": "/name"}], ("/name",))
    with pytest.raises(InvalidInput, match="non-empty list"):
        apply_patch(document, [], ("/name",))
    assert document == {"name": "a", "extra": {"k": "v"}}


def test_every_status_change_is_checked_against_the_table():
    from mogan.core.states import IllegalTransition, check_transition

    for source, targets in states.TRANSITIONS.items():
        for target in states.STATUSES:
            if target in targets:
                check_transition(source, target)
            else:
                with pytest.raises(IllegalTransition):
                    check_transition(source, target)


def test_a_bios_baseline_is_factory_or_a_json_object_of_plain_settings():
    from mogan.core.lifecycle import BiosBaseline

    assert BiosBaseline.parse("") is None
    assert BiosBaseline.parse("factory") == BiosBaseline(factory_reset=True)
    both = BiosBaseline.parse('{"factory": true, "QuietBoot": false, "NumCores": 8}')
    assert both == BiosBaseline(True, {"QuietBoot": False, "NumCores": 8})
    assert both.describe() == "the factory settings and QuietBoot=False, NumCores=8"
    for wrong in ("factory-reset", "[]", "{}", '{"A": [1]}', '{"A": {"b": 1}}'):
        with pytest.raises(ValueError, match="bios_baseline"):
            BiosBaseline.parse(wrong)
