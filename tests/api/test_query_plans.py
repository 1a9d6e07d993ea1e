"""Every list the API serves reads instances and nodes through an index, never a sequential
scan: each statement a list request runs is captured and EXPLAINed on PostgreSQL with
sequential scans priced out (``enable_seqscan = off``), which leaves a ``Seq Scan`` in the plan
only where no index can serve the query. The plan is asserted, not the time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from mogan.root import Mogan
from tests.harness import Api, project

pytestmark = pytest.mark.backends("postgresql")

#: The tables whose size is the fleet's or the region's.
LARGE = {"instances", "nodes"}


@contextmanager
def statements(mogan: Mogan) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs on a large table that run in the block."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        lowered = statement.lower()
        if lowered.lstrip().startswith("select") and any(f" {table}" in lowered for table in LARGE):
            seen.append((statement, parameters))

    event.listen(mogan.db.engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(mogan.db.engine, "before_cursor_execute", capture)


def _sequential_scans(plan: dict[str, Any]) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in LARGE:
        found.append(str(plan["Relation Name"]))
    for child in plan.get("Plans", []):
        found += _sequential_scans(child)
    return found


def _explain(mogan: Mogan, statement: str, parameters: Any) -> list[str]:
    with mogan.db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
            ((plan,),) = cursor.fetchall()
            cursor.execute("RESET enable_seqscan")
        raw.rollback()
    document = plan if isinstance(plan, list) else json.loads(plan)
    return _sequential_scans(document[0]["Plan"])


def test_every_list_of_instances_and_nodes_reads_through_an_index(mogan: Mogan, api: Api):
    for index in range(3):
        api.enrol(f"node-{index}", zone="az1")
    fleet = [api.make_type(), api.make_image(), api.make_network()]
    tenant = api.as_(project("tenant-a"))
    made = tenant.create(fleet[0], fleet[1], [{"net_id": fleet[2]["uuid"]}], name="web-1")
    uuid = made.json()["uuid"]
    api.wait_status(uuid, "active")
    assert tenant.put(f"/v1/instances/{uuid}/tags/blue").status_code == 201
    node = api.admin.get("/v1/nodes", params={"associated": "true"}).json()["nodes"][0]

    lists = [
        (tenant, "/v1/instances", {}),
        (tenant, "/v1/instances/detail", {"limit": 100}),
        (tenant, "/v1/instances", {"status": "active", "limit": 100}),
        (tenant, "/v1/instances", {"name": "web-1"}),
        (tenant, "/v1/instances", {"tags": "blue"}),
        (tenant, "/v1/instances", {"tags": "blue", "marker": uuid, "sort_dir": "desc"}),
        (tenant, "/v1/instances", {"not-tags": "blue"}),
        (tenant, "/v1/instances", {"tags-any": "blue,red"}),
        (tenant, "/v1/instances", {"availability_zone": "az1"}),
        (tenant, "/v1/instances", {"sort_key": "name", "sort_dir": "desc"}),
        (tenant, "/v1/instances", {"marker": uuid}),
        (api.admin, "/v1/instances/detail", {"all_tenants": 1, "limit": 1000}),
        (api.admin, "/v1/instances", {"all_tenants": 1, "status": "active"}),
        (api.admin, "/v1/instances", {"all_tenants": 1, "name": "web-1"}),
        (api.admin, "/v1/instances", {"all_tenants": 1, "tags": "blue"}),
        (api.admin, "/v1/instances", {"all_tenants": 1, "marker": uuid, "limit": 100}),
        (api.admin, "/v1/nodes", {}),
        (api.admin, "/v1/nodes", {"limit": 1000}),
        (api.admin, "/v1/nodes", {"provision_state": "active"}),
        (api.admin, "/v1/nodes", {"maintenance": "true"}),
        (api.admin, "/v1/nodes", {"associated": "false"}),
        (api.admin, "/v1/nodes", {"driver": "fake"}),
        (api.admin, "/v1/nodes", {"resource_class": "baremetal"}),
        (api.admin, "/v1/nodes", {"availability_zone": "az1"}),
        (api.admin, "/v1/nodes", {"marker": node["uuid"], "limit": 100}),
    ]
    # The detector sees a scan where there is one (no index has user_id first).
    unindexed = "SELECT uuid FROM instances WHERE user_id = %(user)s"
    assert _explain(mogan, unindexed, {"user": "someone"}) == ["instances"]
    scans = []
    for caller, path, params in lists:
        with statements(mogan) as seen:
            answer = caller.get(path, params=params)
        assert answer.status_code == 200, (path, params, answer.text)
        assert seen, (path, params)  # the capture works: a list reads the table
        for statement, parameters in seen:
            for table in _explain(mogan, statement, parameters):
                scans.append(f"{path} {params}: Seq Scan on {table}\n  {statement}")
    assert scans == [], "\n".join(scans)
