"""Resident memory of a started Mogan: ``mogan serve --demo`` and one ``mogan api`` worker.

    .venv/bin/python -m bench.memory [--requests 200]

Each process is started from the console script on a temporary SQLite database with the
default configuration (``enabled_drivers`` as shipped, noauth, notifications off), answers
``--requests`` GETs so that its request path is loaded, and then its resident set (VmRSS) is
read from /proc. ``mogan api`` runs one worker (uvicorn then serves in its own process).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

import bench


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def _measure(command: list[str], workdir: Path, requests: int, migrate: bool) -> float:
    process, url = bench.start_shipped(workdir, command, api={"workers": 1}, migrate=migrate)
    try:
        admin = {"X-Project-Id": "admin", "X-User-Id": "admin", "X-Roles": "admin"}
        with httpx.Client(base_url=url, timeout=10, headers=admin) as client:
            for _ in range(requests):
                client.get("/v1/instances/detail").raise_for_status()
                client.get("/v1/types").raise_for_status()
        time.sleep(1)
        # With one worker uvicorn serves in the process itself; with more, in children.
        return max(_rss_mib(pid) for pid in [process.pid, *_children(process.pid)])
    finally:
        bench.stop(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = bench.parse(parser, requests=20)
    rows = []
    for label, command, migrate in (
        ("mogan serve --demo", ["serve", "--demo"], False),
        ("mogan api, one worker", ["api"], True),
    ):
        with tempfile.TemporaryDirectory(prefix="mogan-bench-") as workdir:
            rows.append((label, _measure(command, Path(workdir), args.requests, migrate)))
    print("| process | RSS |")
    print("| --- | ---: |")
    for label, rss in rows:
        print(f"| {label} | {rss:.0f} MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
