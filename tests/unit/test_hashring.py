"""The hash ring divides keys among members, stably."""

from __future__ import annotations

from collections import Counter

from mogan.core.hashring import HashRing

KEYS = [f"node-{i}" for i in range(3000)]


def test_every_key_has_exactly_one_owner_and_shares_are_fair():
    ring = HashRing(["engine-a", "engine-b", "engine-c"])
    owners = Counter(ring.owner(key) for key in KEYS)
    assert set(owners) == {"engine-a", "engine-b", "engine-c"}
    assert all(700 < count < 1300 for count in owners.values()), owners


def test_the_same_members_give_the_same_ring_in_any_order():
    one, two = HashRing(["a", "b", "c"]), HashRing(["c", "a", "b", "a"])
    assert [one.owner(k) for k in KEYS] == [two.owner(k) for k in KEYS]


def test_a_member_leaving_moves_only_its_own_keys():
    before = HashRing(["a", "b", "c"])
    after = HashRing(["a", "b"])
    moved = [k for k in KEYS if before.owner(k) != after.owner(k)]
    assert moved and all(before.owner(k) == "c" for k in moved)


def test_an_empty_ring_owns_nothing():
    assert HashRing([]).owner("x") is None
