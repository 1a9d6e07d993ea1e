"""A real Prometheus scrapes a running ``mogan api`` (two workers) and ``mogan engine``: the
series hold the values the test caused, whichever process counted them; the sample alert rules
pass ``promtool``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.functional.cluster import Cluster
from tests.functional.process import free_port
from tests.harness import ADMIN, Api, project
from tests.peers.prometheus import PrometheusServer, binary

pytestmark = pytest.mark.functional

RULES = Path(__file__).parents[2] / "docs" / "samples" / "mogan-alerts.yml"


def test_prometheus_sees_what_happened_in_every_process(cluster: Cluster, tmp_path: Path):
    api_port, engine_port = free_port(), free_port()
    api_process = cluster.start("api", api={"workers": 2}, metrics={"api_port": api_port})
    cluster.start("engine", metrics={"engine_port": engine_port})
    prometheus = PrometheusServer(
        tmp_path,
        {"mogan-api": f"127.0.0.1:{api_port}", "mogan-engine": f"127.0.0.1:{engine_port}"},
    ).start()
    try:
        with httpx.Client(base_url=api_process.url, timeout=60, headers=ADMIN) as client:
            api = Api(client)
            api.enrol("good-0")
            fleet = [api.make_type(), api.make_image(), api.make_network()]
            tenant = api.as_(project("tenant-a"))
            net = [{"net_id": fleet[2]["uuid"]}]
            good = tenant.create(fleet[0], fleet[1], net, name="good").json()["uuid"]
            api.wait_status(good, "active", timeout=60)
            # The only node left has a BMC that refuses the media: the instance fails on it.
            api.enrol("bad-0", driver_info={"fake_fail_deploy": True})
            bad = tenant.create(fleet[0], fleet[1], net, name="bad").json()["uuid"]
            api.wait_status(bad, "error", timeout=60)
            for _ in range(5):
                assert tenant.get(f"/v1/instances/{good}").status_code == 200

        finished = 'mogan_operations_finished_total{job="mogan-api",kind="create",result="%s"}'
        assert prometheus.value(finished % "failed") == 1
        assert prometheus.value(finished % "succeeded") == 1
        errors = prometheus.value(
            'sum(mogan_driver_call_errors_total{job="mogan-api",driver="fake",'
            'call="deploy.deploy",error="DriverError"})'
        )
        assert errors == 1
        assert prometheus.value('mogan_instances{job="mogan-api",status="error"}') == 1
        assert prometheus.value('mogan_instances{job="mogan-api",status="active"}') == 1
        active_nodes = 'sum(mogan_nodes{job="mogan-api",provision_state="active"})'
        assert prometheus.value(active_nodes) == 1
        assert prometheus.value('mogan_operations_queued{job="mogan-api"}') == 0
        # Both API workers' requests add up, by route template (the hot GET included).
        gets = (
            'sum(mogan_api_request_duration_seconds_count{job="mogan-api",method="GET",'
            'route="/v1/instances/{instance_ident}",status="200"})'
        )
        assert prometheus.value(gets) >= 5
        created = (
            'sum(mogan_api_request_duration_seconds_count{job="mogan-api",method="POST",'
            'route="/v1/instances",status="201"})'
        )
        assert prometheus.value(created) == 2
        # The engine's own port serves the same host's process counters, without the fleet.
        assert prometheus.value(finished.replace("mogan-api", "mogan-engine") % "failed") == 1
        assert prometheus.query('mogan_instances{job="mogan-engine"}') == []
    finally:
        prometheus.stop()


def test_the_api_serves_metrics_to_operators_only(cluster: Cluster):
    api_process = cluster.start("api", api={"workers": 1})
    with httpx.Client(base_url=api_process.url, timeout=30) as client:
        answer = client.get("/metrics", headers=ADMIN)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain; version=")
        assert 'mogan_instances{status="active"} 0.0' in answer.text
        member = client.get("/metrics", headers=project("tenant-a"))
        assert member.status_code == 403
        assert client.get("/metrics", headers=project("tenant-a", "reader")).status_code == 403
        assert client.get("/metrics").status_code == 401


def test_the_sample_alert_rules_pass_promtool():
    checked = subprocess.run(
        [binary("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
