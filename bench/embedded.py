"""Mogan on its embedded default beside standalone Ironic, both on SQLite: GET one, wrk -c8.

    .venv/bin/python -m bench.embedded [--seconds 20]

What a newcomer runs first: ``mogan serve --demo`` (one process, SQLite, the demo fleet, an
instance created and active) against ``ironic`` as ../shared/docs/REAL-PEERS.md runs it (its
single process, fake-hardware, SQLite, one node enrolled). Each is measured alone on the
machine, Mogan first, then Ironic; the table gives both rates and their ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

import bench
from bench.scale import wrk
from tests.peers.ironic import IronicServer

TENANT = {"X-Project-Id": "demo", "X-User-Id": "demo-user", "X-Roles": "member"}
IRONIC = {"X-OpenStack-Ironic-API-Version": "latest"}


def _active_instance(url: str) -> str:
    """An instance of the demo fleet, created as the demo tenant and waited for."""
    with httpx.Client(base_url=url, headers=TENANT, timeout=30) as api:
        body = {
            "name": "bench",
            "instance_type_uuid": api.get("/v1/types").json()["types"][0]["uuid"],
            "image_uuid": api.get("/v1/images").json()["images"][0]["uuid"],
            "networks": [{"net_id": api.get("/v1/networks").json()["networks"][0]["uuid"]}],
        }
        created = api.post("/v1/instances", json=body)
        created.raise_for_status()
        uuid = str(created.json()["uuid"])
        deadline = time.monotonic() + 60
        while (status := api.get(f"/v1/instances/{uuid}").json()["status"]) != "active":
            if status == "error" or time.monotonic() > deadline:
                raise RuntimeError(f"the demo instance ended {status}")
            time.sleep(0.1)
        return uuid


def measure_mogan(seconds: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="mogan-embedded-") as workdir:
        process, url = bench.start_shipped(Path(workdir), ["serve", "--demo"])
        try:
            return wrk(f"{url}/v1/instances/{_active_instance(url)}", TENANT, seconds)
        finally:
            bench.stop(process)


def measure_ironic(seconds: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="ironic-embedded-") as workdir:
        ironic = IronicServer(Path(workdir)).start()
        try:
            (node,) = ironic.enrol(1)
            return wrk(f"{ironic.url}/v1/nodes/{node['uuid']}", IRONIC, seconds)
        finally:
            ironic.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    args = bench.parse(parser, seconds=2)
    mogan_rate, mogan_p50 = measure_mogan(args.seconds)
    ironic_rate, ironic_p50 = measure_ironic(args.seconds)
    print("| GET one, wrk -c8, SQLite | req/s | p50 |")
    print("| --- | ---: | ---: |")
    print(f"| `mogan serve --demo` (an instance) | {mogan_rate:,.0f} | {mogan_p50:.1f} ms |")
    print(f"| `ironic` (a node) | {ironic_rate:,.0f} | {ironic_p50:.1f} ms |")
    print(f"| Mogan / Ironic | {mogan_rate / ironic_rate:.1f}x | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
