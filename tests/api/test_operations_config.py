"""Operator-facing behaviour: policy overrides, the periodic power sync, database outages."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from mogan.drivers.base import NodeRef
from tests.harness import Api, ThreadedServer, fault_of, make_mogan, project


def test_policy_file_overrides_the_defaults(mogan_factory: Any, tmp_path: Path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        '"mogan:instance:create": "role:admin"\n"mogan:availability_zone:get_all": "!"\n'
    )
    mogan = mogan_factory(oslo_policy__policy_file=str(policy))
    with ThreadedServer(mogan.app) as server, httpx.Client(base_url=server.url) as client:
        member = Api(client, project("tenant-a"))
        unknown = "6f1d2e8c-9a8b-4c3d-8e7f-0a1b2c3d4e5f"
        refused = member.post(
            "/v1/instances",
            {
                "name": "x",
                "instance_type_uuid": unknown,
                "image_uuid": unknown,
                "networks": [{"net_id": unknown}],
            },
        )
        assert refused.status_code == 403
        assert "mogan:instance:create" in fault_of(refused)["faultstring"]
        assert member.admin.get("/v1/availability_zones").status_code == 403
        assert member.get("/v1/types").status_code == 200  # untouched rules keep defaults


def test_an_edited_policy_file_applies_to_a_running_service(mogan_factory: Any, tmp_path: Path):
    """Decisions are remembered briefly for speed; an operator's edit still takes effect."""
    policy = tmp_path / "policy.yaml"
    policy.write_text('"mogan:availability_zone:get_all": "@"\n')
    mogan = mogan_factory(oslo_policy__policy_file=str(policy))
    with ThreadedServer(mogan.app) as server, httpx.Client(base_url=server.url) as client:
        member = Api(client, project("tenant-a"))
        assert member.get("/v1/availability_zones").status_code == 200
        policy.write_text('"mogan:availability_zone:get_all": "!"\n')
        deadline = time.monotonic() + 10
        while member.get("/v1/availability_zones").status_code != 403:
            assert time.monotonic() < deadline, "the edited policy never applied"
            time.sleep(0.2)
        policy.write_text('"mogan:availability_zone:get_all": "@"\n')
        while member.get("/v1/availability_zones").status_code != 200:
            assert time.monotonic() < deadline, "restoring the policy never applied"
            time.sleep(0.2)


def test_a_policy_file_may_ask_an_http_service(mogan_factory: Any, tmp_path: Path):
    """oslo.policy's ``http:`` check (loaded only when a rule names it): the decision is the
    remote service's, which is told the caller's credentials and the target."""
    asked: list[dict[str, Any]] = []

    class Decider(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            credentials = json.loads(form["credentials"][0])
            asked.append(credentials)
            answer = b"True" if credentials["project_id"] == "tenant-a" else b"False"
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    decider = ThreadingHTTPServer(("127.0.0.1", 0), Decider)
    threading.Thread(target=decider.serve_forever, daemon=True).start()
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f'"mogan:availability_zone:get_all": "http://127.0.0.1:{decider.server_port}/decide"\n'
    )
    mogan = mogan_factory(oslo_policy__policy_file=str(policy))
    try:
        with ThreadedServer(mogan.app) as server, httpx.Client(base_url=server.url) as client:
            assert Api(client, project("tenant-a")).get("/v1/availability_zones").status_code == 200
            refused = Api(client, project("tenant-b")).get("/v1/availability_zones")
            assert refused.status_code == 403
            assert "mogan:availability_zone:get_all" in fault_of(refused)["faultstring"]
        assert [c["project_id"] for c in asked] == ["tenant-a", "tenant-b"]
    finally:
        decider.shutdown()
        decider.server_close()


def test_periodic_power_sync_corrects_state_on_its_own(mogan_factory: Any):
    mogan = mogan_factory(engine__sync_power_state_interval=1)
    with ThreadedServer(mogan.app) as server, httpx.Client(base_url=server.url) as client:
        api = Api(client)
        node = api.enrol("n1")
        created = api.create(
            api.make_type(), api.make_image(), [{"net_id": api.make_network()["uuid"]}]
        ).json()
        api.wait_status(created["uuid"], "active")
        mogan.drivers.get("fake").power.set_power_state(
            NodeRef(node["uuid"], node["name"], {}), "off"
        )
        started = time.monotonic()
        api.wait_for(created["uuid"], lambda i: i["power_state"] == "power off", timeout=10)
        assert time.monotonic() - started < 5
        assert api.admin.get(f"/v1/nodes/{node['uuid']}").json()["power_state"] == "power off"


def test_an_unreachable_database_is_a_503_with_the_error_body(tmp_path: Path):
    mogan = make_mogan("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", str(tmp_path))
    with (
        ThreadedServer(mogan.app) as server,
        httpx.Client(base_url=server.url, headers=project("tenant-a")) as client,
    ):
        started = time.monotonic()
        response = client.get("/v1/instances")
        assert time.monotonic() - started < 10
        assert response.status_code == 503
        assert "database" in fault_of(response)["faultstring"]
        assert response.headers["Retry-After"]
        assert client.get("/v1").status_code == 200  # discovery does not need the database
    mogan.db.dispose()
