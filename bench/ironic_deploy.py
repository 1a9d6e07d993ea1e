"""Create → active through a real standalone Ironic (fake-hardware): Mogan against the same
Ironic calls made directly with openstacksdk. Prints a table.

    .venv/bin/python -m bench.ironic_deploy [--instances 100] [--in-flight 16]

Both sides deploy ``--instances`` nodes with ``--in-flight`` deploys at a time and poll Ironic
every 0.1 s:
- openstacksdk: per node, claim (``instance_uuid`` + ``instance_info``), validate,
  ``provision active`` with a config drive, poll until ``active`` — what Mogan's driver asks
  of Ironic, without Mogan;
- Mogan: ``mogan serve`` (PostgreSQL, ``--in-flight`` engine workers), instances created over
  its API by ``--in-flight`` clients, wall time from the first POST to the last ``active``.
Ironic is the same process and the same nodes for both (undeployed in between).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import os
import tempfile
import time
import uuid as uuid_module
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openstack

import bench
from mogan.drivers.base import DeployRequest
from mogan.drivers.configdrive import config_drive
from tests.databases import fresh_database
from tests.functional.process import MoganProcess
from tests.harness import Api
from tests.peers.ironic import IronicServer

ADMIN = {"X-Project-Id": "admin", "X-User-Id": "admin", "X-Roles": "admin"}
TENANT = {"X-Project-Id": "bench", "X-User-Id": "bench", "X-Roles": "member"}
POLL = 0.1


def cpu_seconds(group: int) -> float:
    """CPU time (user + system) used so far by the processes of process group ``group``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # field 5 of stat: the process group
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def sdk_deploys(ironic: IronicServer, nodes: list[str], in_flight: int) -> float:
    conn = openstack.connection.Connection(auth_type="none", baremetal_endpoint_override=ironic.url)
    baremetal = conn.baremetal

    def deploy(node: str) -> None:
        instance = str(uuid_module.uuid4())
        baremetal.patch_node(
            node,
            [
                {"op": "add", "path": "/instance_uuid", "value": instance},
                {
                    "op": "add",
                    "path": "/instance_info",
                    "value": {"image_source": "http://img/u.qcow2", "root_gb": "100"},
                },
            ],
            retry_on_conflict=False,
        )
        baremetal.validate_node(node, required=())
        drive = config_drive(DeployRequest(instance, "bench", "http://img/u.qcow2", None, "qcow2"))
        baremetal.set_node_provision_state(
            node, "active", config_drive=base64.b64encode(gzip.compress(drive)).decode()
        )
        while baremetal.get_node(node).provision_state != "active":
            time.sleep(POLL)

    started = time.monotonic()
    with ThreadPoolExecutor(in_flight) as pool:
        list(pool.map(deploy, nodes))
    return time.monotonic() - started


def undeploy_all(ironic: IronicServer, nodes: list[str]) -> None:
    with ironic.api() as api:
        for node in nodes:
            api.put(f"/v1/nodes/{node}/states/provision", json={"target": "deleted"})
        for node in nodes:
            ironic.wait_state(api, node, "available", timeout=120)


def mogan_deploys(
    ironic: IronicServer, work: Path, count: int, in_flight: int
) -> tuple[float, float]:
    """Wall time, and the CPU seconds Mogan's process used meanwhile."""
    with fresh_database("postgresql", str(work)) as url:
        mogan = MoganProcess(
            work,
            url,
            DEFAULT={"enabled_drivers": "ironic"},
            ironic={"auth_type": "none", "endpoint_override": ironic.url, "poll_interval": POLL},
            engine={"workers": in_flight, "sync_inventory_interval": 0, "poll_interval": 5},
            database={"max_pool_size": in_flight + 8},
        ).start()
        try:
            with httpx.Client(base_url=mogan.url, timeout=120) as client:
                synced = Api(client).sync()  # the sync runs in an engine: wait for its end
                assert synced["result"] == "success", synced
                type_ = client.post("/v1/types", json={"name": "bm"}, headers=ADMIN).json()
                client.patch(
                    f"/v1/types/{type_['uuid']}/extraspecs",
                    json={"resources:CUSTOM_BAREMETAL": "1"},
                    headers=ADMIN,
                )
                image = client.post(
                    "/v1/images",
                    json={"name": "u", "url": "http://img/u.qcow2", "disk_format": "qcow2"},
                    headers=ADMIN,
                ).json()
                network = client.post(
                    "/v1/networks",
                    json={"name": "n", "subnets": [{"cidr": "10.0.0.0/16"}]},
                    headers=ADMIN,
                ).json()

                def create(index: int) -> str:
                    response = client.post(
                        "/v1/instances",
                        json={
                            "name": f"bench-{index}",
                            "instance_type_uuid": type_["uuid"],
                            "image_uuid": image["uuid"],
                            "networks": [{"net_id": network["uuid"]}],
                        },
                        headers=TENANT,
                    )
                    assert response.status_code == 201, response.text
                    return str(response.json()["uuid"])

                assert mogan.process is not None
                cpu_before = cpu_seconds(mogan.process.pid)
                started = time.monotonic()
                with ThreadPoolExecutor(in_flight) as pool:
                    uuids = list(pool.map(create, range(count)))
                pending = set(uuids)
                while pending:
                    listed = client.get(
                        "/v1/instances/detail", params={"limit": 1000}, headers=TENANT
                    ).json()["instances"]
                    states = {i["uuid"]: i["status"] for i in listed}
                    failed = [u for u in pending if states.get(u) == "error"]
                    assert not failed, f"{len(failed)} instances failed; see {mogan.log_path}"
                    pending = {u for u in pending if states.get(u) != "active"}
                    time.sleep(0.05)
                return time.monotonic() - started, cpu_seconds(mogan.process.pid) - cpu_before
        finally:
            mogan.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=16)
    args = bench.parse(parser, instances=8, in_flight=4)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ironic = IronicServer(work).start()
        try:
            started = time.monotonic()
            nodes = [n["uuid"] for n in ironic.enrol(args.instances)]
            print(f"enrolled {len(nodes)} nodes in {time.monotonic() - started:.1f} s")
            assert ironic.process is not None
            group = ironic.process.pid
            before = cpu_seconds(group)
            sdk = sdk_deploys(ironic, nodes, args.in_flight)
            sdk_ironic_cpu = cpu_seconds(group) - before
            undeploy_all(ironic, nodes)
            before = cpu_seconds(group)
            mogan, mogan_cpu = mogan_deploys(ironic, work, args.instances, args.in_flight)
            mogan_ironic_cpu = cpu_seconds(group) - before
        finally:
            ironic.stop()
    n = args.instances
    print()
    print(
        f"| create → active, {n} instances, {args.in_flight} in flight | wall | per second "
        "| Ironic CPU | Mogan CPU |"
    )
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| Ironic via openstacksdk (baseline) | {sdk:.1f} s | {n / sdk:.1f} "
        f"| {sdk_ironic_cpu:.1f} s | — |"
    )
    print(
        f"| Mogan → Ironic | {mogan:.1f} s | {n / mogan:.1f} | {mogan_ironic_cpu:.1f} s "
        f"| {mogan_cpu:.1f} s |"
    )
    print(f"\nMogan / baseline wall time: {mogan / sdk:.2f} times")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
