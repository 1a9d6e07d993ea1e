"""Power-state sync of N Redfish BMCs: wall time per round and BMC reads per second,
serial versus bounded concurrency.

    .venv/bin/python -m bench.power_sync [--nodes 200] [--rounds 3] [--bmc-latency 0.1]

It starts sushy-tools' emulator with N systems (power changes made instant), enrols N
``redfish`` nodes in a Mogan on a temporary SQLite database, deploys an instance on each,
then times ``sync_power_states`` rounds with 1, 4, 8, 16 and 32 BMC reads in flight.

The emulator is one Python process answering in a few milliseconds, so at zero latency it is
the ceiling. Real BMCs take tens to hundreds of milliseconds per request: ``--bmc-latency``
puts a proxy in front that delays every request by that many seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bench
from mogan import conf as mogan_conf
from mogan.core.pagination import PageRequest
from mogan.db import migrate
from mogan.engine.power_sync import sync_power_states
from mogan.root import build
from mogan.services import schemas
from mogan.services.demo import ADMIN
from tests.peers.redfish import FaultProxy, FileServer, RedfishEmulator


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--bmc-latency",
        type=float,
        default=0.0,
        help="seconds each BMC request takes (added by a proxy)",
    )
    args = bench.parse(parser, nodes=20, rounds=1)
    workdir = Path(tempfile.mkdtemp(prefix="mogan-bench-"))
    emulator = RedfishEmulator(workdir, systems=args.nodes, fast=True).start()
    with FileServer(workdir / "www") as files:
        conf = mogan_conf.load(
            overrides={
                "database.connection": f"sqlite:///{workdir / 'mogan.sqlite'}",
                "engine.workers": 32,
                "engine.poll_interval": 0.05,
                "engine.sync_power_state_interval": 0,
                "engine.power_poll_interval": 0.05,
                "redfish.poll_interval": 0.05,
            }
        )
        mogan = build(conf)
        migrate.upgrade(mogan.db)
        services = mogan.services
        started = time.monotonic()
        proxy = FaultProxy(emulator.url).__enter__()
        for index in range(args.nodes):
            services.nodes.create(
                ADMIN,
                schemas.NodeCreate.model_validate(
                    {
                        "name": f"bmc-{index:03d}",
                        "driver": "redfish",
                        "driver_info": emulator.driver_info(index, redfish_address=proxy.url),
                        "nics": [
                            {"mac_address": f"52:54:02:00:{index // 256:02x}:{index % 256:02x}"}
                        ],
                    }
                ),
            )
        type_ = services.types.create(ADMIN, schemas.TypeCreate(name="bm"))
        image = services.images.create(
            ADMIN, schemas.ImageCreate(name="iso", url=files.add_iso(), disk_format="iso")
        )
        network = services.networks.create(
            ADMIN,
            schemas.NetworkCreate.model_validate(
                {"name": "n", "subnets": [{"cidr": "10.0.0.0/16"}]}
            ),
        )
        enrolled = time.monotonic()
        assert mogan.engine is not None
        mogan.engine.start()
        while services.nodes.list(ADMIN, PageRequest(limit=1), {"provision_state": "verifying"})[0]:
            time.sleep(0.2)  # the engine checks every enrolled BMC first
        for index in range(args.nodes):
            services.instances.create(
                ADMIN,
                schemas.InstanceCreate.model_validate(
                    {
                        "name": f"i{index}",
                        "instance_type_uuid": type_.type.uuid,
                        "image_uuid": image.uuid,
                        "networks": [{"net_id": network.network.uuid}],
                    }
                ),
            )
        while True:
            records, _ = services.instances.list(
                ADMIN, all_tenants=True, page=PageRequest(limit=args.nodes), filters={}
            )
            if all(r.instance.status != "building" for r in records):
                break
            time.sleep(0.2)
        mogan.engine.stop()
        active = sum(r.instance.status == "active" for r in records)
        print(
            f"set-up: {args.nodes} nodes enrolled in {enrolled - started:.1f}s, "
            f"{active} instances deployed in {time.monotonic() - enrolled:.1f}s\n",
            file=sys.stderr,
        )
        sync_power_states(mogan.db, mogan.drivers, workers=16)  # warm the BMC connections
        if args.bmc_latency:
            proxy.mode, proxy.hang_seconds = "delay", args.bmc_latency
        print(f"{active} BMCs, {args.bmc_latency * 1000:.0f} ms added per BMC request\n")
        print(
            f"| BMC reads in flight | wall time per round (median of {args.rounds}) "
            "| BMC reads/s | speed-up |"
        )
        print("| ---: | ---: | ---: | ---: |")
        serial = None
        for workers in (1, 4, 8, 16, 32):
            times = []
            for _ in range(args.rounds):
                began = time.perf_counter()
                result = sync_power_states(mogan.db, mogan.drivers, workers=workers)
                times.append(time.perf_counter() - began)
                assert result.checked == active and result.failed == 0, result
            wall = statistics.median(times)
            serial = serial or wall
            print(
                f"| {workers} | {wall * 1000:.0f} ms | {active / wall:.0f} | {serial / wall:.1f}x |"
            )
        mogan.db.dispose()
        proxy.__exit__(None, None, None)
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
