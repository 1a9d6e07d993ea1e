"""Walking a long collection page by page: every item exactly once, in order."""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module

import pytest
from sqlalchemy import insert

from mogan.db.models import INSTANCES
from tests.harness import Api


@pytest.fixture
def many(mogan, api: Api) -> list[dict]:
    """2,500 instances, written straight to the database; every 10 share a created_at."""
    start = dt.datetime(2026, 1, 1)
    rows = [
        {
            "uuid": str(uuid_module.uuid4()),
            "name": f"vm-{i:04d}",
            "description": None,
            "project_id": "tenant-a" if i % 5 else "tenant-b",
            "user_id": "u",
            "status": "active" if i % 3 else "error",
            "power_state": "power on",
            "instance_type_uuid": str(uuid_module.UUID(int=1)),
            "image_uuid": str(uuid_module.UUID(int=2)),
            "availability_zone": "az1",
            "network_info": {},
            "extra": {},
            "created_at": start + dt.timedelta(seconds=i // 10),
        }
        for i in range(2500)
    ]
    with mogan.db.transaction() as tx:
        tx.execute(insert(INSTANCES), rows)
    return rows


def _walk(api: Api, url: str) -> list[str]:
    seen: list[str] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        page = api.get(next_url).json()
        seen += [i["uuid"] for i in page["instances"]]
        next_url = page.get("next")
        pages += 1
        assert pages < 1000
    return seen


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_2500_instances_walked_by_next_links(api: Api, many, direction):
    seen = _walk(api.admin, f"/v1/instances?all_tenants=1&limit=100&sort_dir={direction}")
    expected = [
        r["uuid"]
        for r in sorted(
            many, key=lambda r: (r["created_at"], r["uuid"]), reverse=direction == "desc"
        )
    ]
    assert seen == expected  # each exactly once, in order, ties broken by uuid


def test_pages_respect_filters_projects_and_the_max_limit(api: Api, many):
    mine = _walk(api, "/v1/instances/detail?status=error&limit=77&sort_key=name")
    expected = sorted(
        (r for r in many if r["project_id"] == "tenant-a" and r["status"] == "error"),
        key=lambda r: (r["name"], r["uuid"]),
    )
    assert mine == [r["uuid"] for r in expected]
    capped = api.admin.get("/v1/instances?all_tenants=1&limit=5000").json()
    assert len(capped["instances"]) == 1000 and "next" in capped
