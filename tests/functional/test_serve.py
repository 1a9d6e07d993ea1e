"""Whole lives of instances through a real ``mogan serve`` process."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_database
from tests.functional.process import MoganProcess, mogan_command
from tests.harness import Api

pytestmark = pytest.mark.functional


SECRET = "s3cr3t-BMC-pa55"


def _fleet(api: Api, nodes: int = 3, **driver_info: object) -> dict:
    return {
        "nodes": [
            api.enrol(f"node-{i}", zone="az1", driver_info=dict(driver_info)) for i in range(nodes)
        ],
        "type": api.make_type(),
        "image": api.make_image(),
        "network": api.make_network(),
    }


def test_instance_life_from_create_to_delete(serve: Callable[..., MoganProcess]):
    mogan = serve(fake={"power_latency": 0.3, "deploy_latency": 0.3})
    with httpx.Client(base_url=mogan.url, timeout=30) as client:
        api = Api(client)
        fleet = _fleet(api, bmc_password=SECRET)
        created = api.create(
            fleet["type"],
            fleet["image"],
            [{"net_id": fleet["network"]["uuid"], "port_type": "10GE"}],
        )
        assert created.status_code == 201
        uuid = created.json()["uuid"]
        assert created.json()["status"] == "building"
        assert api.wait_status(uuid, "active")["power_state"] == "power on"
        for target, observed in (
            ("off", "power off"),
            ("on", "power on"),
            ("reboot", "power on"),
            ("soft_off", "power off"),
        ):
            assert (
                api.put(f"/v1/instances/{uuid}/states/power", {"target": target}).status_code == 202
            )
            api.wait_for(
                uuid,
                lambda i, o=observed: (
                    i["power_state"] == o
                    and api.get(f"/v1/instances/{i['uuid']}/states").json()["target_power_state"]
                    is None
                ),
            )
        assert api.delete(f"/v1/instances/{uuid}").status_code == 204
        api.wait_gone(uuid)
        nodes = api.admin.get("/v1/nodes").json()["nodes"]
        assert all(n["instance_uuid"] is None for n in nodes)
    assert mogan.stop() == 0
    log = mogan.log_path.read_text()
    assert "Traceback" not in log
    assert SECRET not in log
    assert "req-" in log  # request ids are in the log lines


def test_killed_mid_deploy_the_restarted_service_finishes_the_work(
    serve: Callable[..., MoganProcess],
):
    """kill -9 during deploys, a delete and a power change; a new process finishes them all."""
    mogan = serve(fake={"deploy_latency": 2.0, "power_latency": 2.0})
    with httpx.Client(base_url=mogan.url, timeout=30) as client:
        api = Api(client)
        fleet = _fleet(api, nodes=4)
        net = [{"net_id": fleet["network"]["uuid"]}]
        running = api.create(fleet["type"], fleet["image"], net, name="to-power").json()["uuid"]
        doomed = api.create(fleet["type"], fleet["image"], net, name="to-delete").json()["uuid"]
        api.wait_status(running, "active")
        api.wait_status(doomed, "active")
        building = [
            api.create(fleet["type"], fleet["image"], net, name=f"b{i}").json()["uuid"]
            for i in range(2)
        ]
        assert (
            api.put(f"/v1/instances/{running}/states/power", {"target": "off"}).status_code == 202
        )
        assert api.delete(f"/v1/instances/{doomed}").status_code == 204
        for uuid in building:  # mid-deploy: a node is claimed and wired, the deploy not done
            api.wait_for(uuid, lambda i: bool(i["network_info"]), what="node claimed")
    mogan.kill()
    assert "Traceback" not in mogan.log()

    again = MoganProcess(
        mogan.workdir,
        _url_of(mogan),
        port=mogan.port,
        fake={"deploy_latency": 2.0, "power_latency": 2.0},
    ).start()
    try:
        with httpx.Client(base_url=again.url, timeout=30) as client:
            api = Api(client)
            for uuid in building:
                assert api.wait_status(uuid, "active", timeout=30)["power_state"] == "power on"
            api.wait_for(running, lambda i: i["power_state"] == "power off", timeout=30)
            assert api.get(f"/v1/instances/{running}/states").json()["target_power_state"] is None
            api.wait_gone(doomed, timeout=30)
            statuses = {i["status"] for i in api.get("/v1/instances/detail").json()["instances"]}
            assert statuses == {"active"}
            serving = [n for n in api.admin.get("/v1/nodes").json()["nodes"] if n["instance_uuid"]]
            assert sorted(n["instance_uuid"] for n in serving) == sorted([running, *building])
    finally:
        again.stop()


def _url_of(process: MoganProcess) -> str:
    for line in process.config.read_text().splitlines():
        if line.startswith("connection = "):
            return line.removeprefix("connection = ")
    raise AssertionError("no database connection in the config")


def test_demo_fleet_and_its_curl_command(backend: str, tmp_path: Path):
    with fresh_database(backend, str(tmp_path)) as url:
        mogan = MoganProcess(tmp_path, url, args=("--demo",)).start()
        try:
            printed = mogan.log()
            assert f"Mogan API: {mogan.url}/v1" in printed
            curl = next(
                line.strip()
                for line in printed.splitlines()
                if line.strip().startswith("curl -s -X POST")
            )
            answer = subprocess.run(
                ["bash", "-c", curl], capture_output=True, text=True, timeout=30, check=True
            )
            with httpx.Client(base_url=mogan.url, timeout=30) as client:
                api = Api(client).admin
                created = httpx.Response(201, content=answer.stdout.encode()).json()
                assert created["status"] == "building" and created["project_id"] == "demo"
                # A request naming nobody is nobody, not the admin it used to be.
                anonymous = client.get("/v1/instances")
                assert anonymous.status_code == 401, anonymous.text
                assert api.wait_status(created["uuid"], "active", timeout=30)
                nodes = api.get("/v1/nodes").json()["nodes"]
                assert len(nodes) >= 8
                assert {n["availability_zone"] for n in nodes} == {"az1", "az2"}
                assert all(
                    {"1GE", "10GE"} <= {nic["port_type"] for nic in n["nics"]} for n in nodes
                )
                assert api.get("/v1/availability_zones").json()["availability_zones"] == [
                    "az1",
                    "az2",
                ]
        finally:
            mogan.stop()
        # A second start reuses the fleet.
        again = MoganProcess(tmp_path, url, args=("--demo",)).start()
        try:
            assert "Reusing the demo fleet" in again.log()
            with httpx.Client(base_url=again.url, timeout=30) as client:
                assert len(Api(client).admin.get("/v1/nodes").json()["nodes"]) == len(nodes)
                assert len(Api(client).admin.get("/v1/types").json()["types"]) == 1
        finally:
            again.stop()


def test_db_upgrade_command(backend: str, tmp_path: Path):
    with fresh_database(backend, str(tmp_path)) as url:
        config = tmp_path / "mogan.conf"
        config.write_text(f"[database]\nconnection = {url}\n")
        upgrade = subprocess.run(
            [*mogan_command(), "--config-file", str(config), "db", "upgrade"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert upgrade.returncode == 0, upgrade.stderr
        version = subprocess.run(
            [*mogan_command(), "db", "--config-file", str(config), "version"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        from mogan.db import migrate

        assert version.stdout.strip() == migrate.head()  # the newest migration


def test_sigterm_stops_the_service_promptly(serve: Callable[..., MoganProcess]):
    mogan = serve()
    started = time.monotonic()
    assert mogan.stop() == 0
    assert time.monotonic() - started < 15


def _raw_get(sock: socket.socket, path: str = "/v1") -> bytes:
    """One request on ``sock``; the whole response (its Content-Length read)."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(65536)
    head, body = response.split(b"\r\n\r\n", 1)
    (length,) = [
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    ]  # fmt: skip
    while len(body) < length:
        body += sock.recv(65536)
    return response


@pytest.mark.backends("sqlite")
def test_an_idle_connection_is_kept_for_the_keepalive_timeout(
    serve: Callable[..., MoganProcess],
):
    """A client (or a load balancer: 60 s idle on many) reuses its connection after a pause;
    the API closes it only after ``[api] keepalive_timeout``, so the request sent on it is
    not lost to a close racing it."""
    mogan = serve(api={"keepalive_timeout": 3})
    with socket.create_connection(("127.0.0.1", mogan.port), timeout=10) as sock:
        assert _raw_get(sock).startswith(b"HTTP/1.1 200")
        time.sleep(1.5)  # idle, within the timeout: the same connection serves again
        assert _raw_get(sock).startswith(b"HTTP/1.1 200")
        time.sleep(4.5)  # idle past it: the API has closed the connection (not about to)
        sock.settimeout(0.2)
        assert sock.recv(1) == b""
