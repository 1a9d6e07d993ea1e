"""The cost of fair sharing: create → active with quotas and a server group on, against the
same run with neither, and one multi-create against as many separate creates. PostgreSQL,
``mogan api`` with 2 workers, one engine, the fake driver at zero latency. Prints a table.

    .venv/bin/python -m bench.fair_share [--instances 300]

Each figure is its own fleet of ``--instances`` nodes in the same database, so every run
schedules onto as many free nodes:

- plain: ``--instances`` creates from 32 concurrent clients, no limit anywhere;
- quota + group: the same, with the project's instances, per-class nodes and group-member
  limits set (so every create counts the project's instances under its lock) and every
  instance in one ``anti-affinity`` server group (so every placement reads the group's
  members under the group's lock);
- one request: a single multi-create of ``--instances`` (``max_count``), nodes claimed in
  the request.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.scale import ADMIN, DATABASE, ENGINE, create_to_active, enrol_fleet
from tests.databases import fresh_database
from tests.functional.process import MoganProcess, mogan_command


def one_request(api_url: str, body: dict[str, Any], count: int) -> float:
    """Seconds from one multi-create of ``count`` to the last of them active."""
    with httpx.Client(base_url=api_url, headers=ADMIN, timeout=600) as client:
        started = time.perf_counter()
        response = client.post(
            "/v1/instances",
            json={**body, "name": "batch", "min_count": count, "max_count": count},
        )
        assert response.status_code == 201, response.text
        reservation = response.json()["reservation_id"]
        while client.get(
            "/v1/instances",
            params={"reservation_id": reservation, "status": "building", "limit": 1},
        ).json()["instances"]:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        active = client.get(
            "/v1/instances",
            params={"reservation_id": reservation, "status": "active", "limit": count},
        ).json()["instances"]
        assert len(active) == count, f"{count - len(active)} did not become active"
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=300)
    args = parser.parse_args()
    count = args.instances
    work = Path(tempfile.mkdtemp(prefix="mogan-fair-"))
    with fresh_database("postgresql", str(work)) as url:
        config = work / "upgrade.conf"
        config.write_text(f"[database]\nconnection = {url}\n")
        subprocess.run(
            [*mogan_command(), "--config-file", str(config), "db", "upgrade"],
            check=True,
            capture_output=True,
        )
        settings = {"engine": ENGINE, "database": DATABASE, "scheduler": {"max_count": count}}
        api = MoganProcess(work, url, command="api", api={"workers": 2}, **settings).start()
        engine = MoganProcess(work, url, command="engine", **settings).start()
        try:
            plain = create_to_active(api.url, enrol_fleet(api.url, count, "plain"), count, "p")

            request = enrol_fleet(api.url, count, "quota")
            with httpx.Client(base_url=api.url, headers=ADMIN, timeout=60) as client:
                limits = {"instances": 100 * count, "nodes": 100 * count}
                limits["server_group_members"] = 100 * count
                assert client.put("/v1/quotas/admin", json=limits).status_code == 200
                group = client.post(
                    "/v1/server_groups", json={"name": "g", "policy": "anti-affinity"}
                ).json()
            request["scheduler_hints"] = {"group": group["uuid"]}
            shared = create_to_active(api.url, request, count, "q")

            batch = one_request(api.url, enrol_fleet(api.url, count, "batch"), count)
        finally:
            api.stop()
            engine.stop()
    rows = [
        (f"create → active, {count} instances, plain", f"{plain:.1f} s", f"{count / plain:.0f}/s"),
        (
            "… with quotas and one anti-affinity group",
            f"{shared:.1f} s",
            f"{count / shared:.0f}/s",
        ),
        ("overhead of quotas and the group", f"{(shared / plain - 1) * 100:+.1f} %", ""),
        (f"one request of max_count={count}", f"{batch:.1f} s", f"{count / batch:.0f}/s"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'wall time':>10}  {'rate':>7}")
    for figure, wall, rate in rows:
        print(f"{figure:<{width}}  {wall:>10}  {rate:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
