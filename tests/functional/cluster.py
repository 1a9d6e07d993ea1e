"""Mogan as separate API and engine processes on one PostgreSQL database (scale-out)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.functional.process import MoganProcess
from tests.harness import Api

ENGINE = {
    "workers": 16,
    "poll_interval": 30,
    "lease_timeout": 3,
    "driver_retry_interval": 0.05,
    "sync_power_state_interval": 0,
    "power_poll_interval": 0.1,
}


class Cluster:
    def __init__(self, workdir: Path, url: str) -> None:
        self.workdir, self.url = workdir, url
        self.processes: list[MoganProcess] = []

    def start(self, command: str, **sections: dict[str, Any]) -> MoganProcess:
        process = MoganProcess(
            self.workdir,
            self.url,
            command=command,
            engine={**ENGINE, **sections.pop("engine", {})},
            **sections,
        ).start()
        self.processes.append(process)
        return process

    def operations(self) -> list[tuple[str, str, int, str | None]]:
        return query(self.url, "SELECT kind, status, claims, owner FROM operations")

    def engine_ids(self) -> list[str]:
        return [row[0] for row in query(self.url, "SELECT id FROM engines")]


def query(url: str, sql: str) -> list[Any]:
    """The rows of ``sql`` (as tuples), read from the cluster's database as a test would."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql))]
    finally:
        engine.dispose()


def instances_of(api: Api) -> list[dict[str, Any]]:
    return api.admin.get("/v1/instances/detail", params={"all_tenants": 1, "limit": 1000}).json()[
        "instances"
    ]


def settle(api: Api, expected: int, timeout: float = 120) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        instances = instances_of(api)
        if len(instances) == expected and all(
            i["status"] in ("active", "error") for i in instances
        ):
            return instances
        time.sleep(0.5)
    raise AssertionError(f"not settled: {Counter(i['status'] for i in instances_of(api))}")
