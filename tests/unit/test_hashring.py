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


def test_partitions_are_owned_once_each_as_ranges_of_the_node_uuids():
    from mogan.core.hashring import PARTITIONS, owned_ranges

    ring = HashRing(["engine-a", "engine-b", "engine-c"])
    shares = {member: owned_ranges(ring, member) for member in ring.members}

    def owners_of(node_uuid: str) -> list[str]:
        return [
            member
            for member, ranges in shares.items()
            if any(low <= node_uuid and (high is None or node_uuid < high) for low, high in ranges)
        ]

    for partition in PARTITIONS:
        assert len(owners_of(f"{partition}3e4c1a-0000-4000-8000-000000000000")) == 1
    sizes = {m: sum(1 for p in PARTITIONS if owners_of(f"{p}000000") == [m]) for m in shares}
    assert all(84 <= size <= 86 for size in sizes.values()), sizes  # a third of 256 each
    assert owned_ranges(HashRing(["solo"]), "solo") == [("00", None)]


def test_partitions_split_evenly_between_any_two_engines_and_move_little():
    """Engines' ids are random: whatever they are, two engines read half the nodes each, and
    a third joining takes about a third, mostly from both."""
    import uuid

    from mogan.core.hashring import PARTITIONS, partition_owners

    for _ in range(20):
        pair = [f"vm:{uuid.uuid4().hex[:12]}" for _ in range(2)]
        assert sorted(Counter(partition_owners(pair).values()).values()) == [128, 128]
        third = f"vm:{uuid.uuid4().hex[:12]}"
        before, after = partition_owners(pair), partition_owners([*pair, third])
        moved = [p for p in PARTITIONS if before[p] != after[p]]
        assert 84 <= sum(after[p] == third for p in moved) <= 86  # the newcomer's third
        assert len(moved) <= 86 + 30, len(moved)  # and few moves besides


def test_every_periodic_job_divides_the_fleet_as_the_power_sync_does():
    """The inventory sync and the port audit ask ``share_owner`` of a node or an instance:
    it names the engine whose power-sync ranges hold that uuid, so two engines split every
    job in halves (the ring's points alone gave 38% and 62%)."""
    import uuid

    from mogan.core.hashring import owned_ranges

    ring = HashRing([f"vm:{uuid.uuid4().hex[:12]}" for _ in range(2)])
    ranges = {member: owned_ranges(ring, member) for member in ring.members}
    uuids = [str(uuid.uuid4()) for _ in range(4000)]
    for node_uuid in uuids:
        (owner,) = [
            m
            for m, rs in ranges.items()
            if any(low <= node_uuid and (high is None or node_uuid < high) for low, high in rs)
        ]
        assert ring.share_owner(node_uuid) == owner
        assert ring.share_owner(node_uuid.upper()) == owner
    shares = Counter(ring.share_owner(u) for u in uuids)
    assert all(1800 <= n <= 2200 for n in shares.values()), shares
    assert HashRing([]).share_owner(uuids[0]) is None
