"""The two reads clients make most, alone: GET one instance (wrk -c8) and a detail list of
1,000, against one ``mogan api`` (2 workers) on PostgreSQL with ``--stored`` instances and
nothing else running. Shorter and steadier than ``bench.scale``: for comparing two commits
back to back (run it in a worktree of each, with ``PYTHONPATH`` at the worktree).

    .venv/bin/python -m bench.reads --stored 10000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

import bench
from bench.scale import ADMIN, DATABASE, ENGINE, seed_instances, upgrade, wrk
from tests.databases import fresh_database
from tests.functional.process import MoganProcess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stored", type=int, default=10000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--lists", type=int, default=15)
    args = bench.parse(parser, stored=500, seconds=1, lists=2)
    work = Path(tempfile.mkdtemp(prefix="mogan-bench-reads-"))
    with fresh_database("postgresql", str(work)) as url:
        upgrade(work, url)
        api = MoganProcess(
            work, url, command="api", api={"workers": 2}, engine=ENGINE, database=DATABASE
        ).start()
        try:
            one = seed_instances(url, args.stored)
            rate, p50 = wrk(f"{api.url}/v1/instances/{one}", ADMIN, args.seconds)
            with httpx.Client(base_url=api.url, headers=ADMIN, timeout=60) as client:
                times = []
                for _ in range(args.lists):
                    began = time.perf_counter()
                    client.get("/v1/instances/detail", params={"all_tenants": 1, "limit": 1000})
                    times.append(time.perf_counter() - began)
        finally:
            api.kill()
    print("| figure | this commit |\n| --- | --- |")
    print(f"| GET one instance, wrk -c8 {args.seconds} s | {rate:,.0f} req/s, p50 {p50:.1f} ms |")
    print(
        f"| GET detail list of 1,000 (of {args.stored:,} stored) | "
        f"{statistics.median(times) * 1000:.0f} ms median |"
    )


if __name__ == "__main__":
    main()
