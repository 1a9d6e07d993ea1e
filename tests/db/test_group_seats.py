"""An anti-affinity group's members claim nodes under a lock per (group, failure domain):
what a scheduler does when another one is placing a member in the same rack, and the limit
per rack kept by the claim itself."""

from __future__ import annotations

import threading
import uuid as uuid_module

import pytest
import sqlalchemy as sa

from mogan.core.groups import ANTI_AFFINITY, SOFT_ANTI_AFFINITY
from mogan.core.placement import GroupPolicy, TypeRequirements
from mogan.db import scheduler
from mogan.db.database import Database

RACK = "rack"


@pytest.fixture
def db(database_url: str):
    handle = Database(database_url)
    yield handle
    handle.dispose()


def _nodes(db: Database, racks: dict[str, int]) -> dict[str, str]:
    """``count`` free nodes in each rack; the rack of each node, by uuid."""
    rack_of = {}
    with db.transaction() as tx:
        for rack, count in racks.items():
            for _ in range(count):
                node = str(uuid_module.uuid4())
                tx.execute(
                    sa.text(
                        "INSERT INTO nodes (uuid, name, driver, driver_info, properties, "
                        "maintenance, nic_count, provision_state, created_at) VALUES (:u, :u, "
                        "'fake', '{}', :p, false, 0, 'available', CURRENT_TIMESTAMP)"
                    ),
                    {"u": node, "p": f'{{"rack": "{rack}"}}'},
                )
                rack_of[node] = rack
    return rack_of


def _group(db: Database, policy: str, members: int, max_per_domain: int = 1) -> list[str]:
    """A group of ``members`` building instances; their uuids, and the group as
    ``_request`` wants it (the last item)."""
    group = str(uuid_module.uuid4())
    made = [str(uuid_module.uuid4()) for _ in range(members)]
    with db.transaction() as tx:
        tx.execute(
            sa.text(
                "INSERT INTO server_groups (uuid, name, project_id, user_id, policy, rules, "
                "created_at) VALUES (:g, 'g', 'p', 'u', :policy, :rules, CURRENT_TIMESTAMP)"
            ),
            {"g": group, "policy": policy, "rules": f'{{"max_server_per_host": {max_per_domain}}}'},
        )
        for instance in made:
            tx.execute(
                sa.text(
                    "INSERT INTO instances (uuid, name, project_id, user_id, status, "
                    "instance_type_uuid, image_uuid, network_info, extra, user_metadata, tags, "
                    "created_at) VALUES (:i, 'vm', 'p', 'u', 'building', :t, :t, '{}', '{}', "
                    "'{}', '[]', CURRENT_TIMESTAMP)"
                ),
                {"i": instance, "t": str(uuid_module.uuid4())},
            )
            tx.execute(
                sa.text(
                    "INSERT INTO server_group_members (instance_uuid, group_uuid) VALUES (:i, :g)"
                ),
                {"i": instance, "g": group},
            )
    return [*made, group]


def _request(group: str, policy: str, max_per_domain: int = 1) -> scheduler.Request:
    return scheduler.Request(
        requirements=TypeRequirements.from_extra_specs({}),
        networks=[],
        availability_zone=None,
        exclude=[],
        drivers=["fake"],
        group=GroupPolicy(group, policy, max_per_domain),
        failure_domain=RACK,
    )


def test_the_limit_per_rack_holds_with_free_nodes_left_in_it(db: Database):
    rack_of = _nodes(db, {"r1": 3})
    *members, group = _group(db, ANTI_AFFINITY, 3, max_per_domain=2)
    wanted = _request(group, ANTI_AFFINITY, 2)
    placed = []
    for member in members:
        with db.transaction() as tx:
            claimed = scheduler.claim_best(tx, wanted, member)
            placed.append(claimed and rack_of[claimed.node.uuid])
    assert placed == ["r1", "r1", None]  # the third node stays free: the rack has its two


@pytest.mark.backends("postgresql")
def test_a_member_passes_over_the_rack_another_scheduler_is_placing_into(db: Database):
    rack_of = _nodes(db, {"r1": 2, "r2": 2})
    first, second, group = _group(db, ANTI_AFFINITY, 2)
    wanted = _request(group, ANTI_AFFINITY)
    with db.transaction() as placing, db.transaction() as racing:
        one = scheduler.claim_best(placing, wanted, first)
        assert one is not None
        # Not yet committed, so nothing counted would tell the racer: the rack's lock does.
        two = scheduler.claim_best(racing, wanted, second)
        assert two is not None
        assert rack_of[one.node.uuid] != rack_of[two.node.uuid]


@pytest.mark.backends("postgresql")
def test_a_member_waits_for_a_busy_rack_rather_than_calling_it_full(db: Database):
    _nodes(db, {"r1": 2})
    first, second, group = _group(db, ANTI_AFFINITY, 2)
    wanted = _request(group, ANTI_AFFINITY)
    with db.transaction() as placing:
        assert scheduler.claim_best(placing, wanted, first) is not None
        with pytest.raises(scheduler.DomainsBusy), db.transaction() as racing:
            scheduler.claim_best(racing, wanted, second)
    with db.transaction() as again:  # the first member is in: the rack is full now
        assert scheduler.claim_best(again, wanted, second) is None


@pytest.mark.backends("postgresql")
def test_soft_anti_affinity_places_a_racing_member_in_a_taken_rack_rather_than_none(db: Database):
    _nodes(db, {"r1": 2})
    first, second, group = _group(db, SOFT_ANTI_AFFINITY, 2)
    wanted = _request(group, SOFT_ANTI_AFFINITY)
    results: list[scheduler.Claimed | None] = []

    def racing() -> None:  # a thread: it waits for the group's lock the first one holds
        with db.transaction() as tx:
            results.append(scheduler.claim_best(tx, wanted, second))

    with db.transaction() as placing:
        one = scheduler.claim_best(placing, wanted, first)
        racer = threading.Thread(target=racing)
        racer.start()
        racer.join(0.5)
    racer.join(30)
    (two,) = results
    assert one is not None and two is not None and one.node.uuid != two.node.uuid


@pytest.mark.backends("postgresql")
def test_a_batch_waits_for_the_rack_a_single_claim_holds(db: Database):
    _nodes(db, {"r1": 2})
    first, second, group = _group(db, ANTI_AFFINITY, 2)
    wanted = _request(group, ANTI_AFFINITY)
    results: list[scheduler.Claimed | None] = []

    def batch() -> None:
        with db.transaction() as tx:
            results.append(scheduler.claim_for_batch(tx, wanted, second))

    with db.transaction() as placing:
        assert scheduler.claim_best(placing, wanted, first) is not None
        waiting = threading.Thread(target=batch)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and not results  # waiting for the rack's lock
    waiting.join(30)
    assert results == [None]  # then counted the first member, committed meanwhile
