"""``GET /healthcheck`` of a real ``mogan api`` on PostgreSQL: OK to anyone while the process
reaches its database, 503 while it cannot, OK again once it can; nothing else in it."""

from __future__ import annotations

import time

import httpx
import pytest
import sqlalchemy as sa

from tests.functional.cluster import Cluster
from tests.peers.tcp_proxy import proxy_to

pytestmark = pytest.mark.functional


def _health(client: httpx.Client) -> httpx.Response:
    return client.get("/healthcheck")


def _until(client: httpx.Client, status: int, timeout: float = 20) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while (answer := _health(client)).status_code != status:
        assert time.monotonic() < deadline, (answer.status_code, answer.text)
        time.sleep(0.1)
    return answer


def test_the_health_check_follows_the_database_and_asks_nobody_who_they_are(cluster: Cluster):
    url = sa.make_url(cluster.url)
    with proxy_to(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
        api = cluster.start("api", api={"workers": 1}, database={"connection": through_proxy})
        with httpx.Client(base_url=api.url, timeout=30) as anonymous:
            healthy = _health(anonymous)
            assert (healthy.status_code, healthy.text) == (200, "OK")
            assert healthy.headers["content-type"].startswith("text/plain")
            assert healthy.headers["cache-control"] == "no-store"
            assert anonymous.head("/healthcheck").status_code == 200

            proxy.cut()
            down = _until(anonymous, 503)
            assert down.text == "DATABASE UNREACHABLE"
            assert through_proxy not in api.log()  # the log says why, without the URL

            proxy.restore()
            assert _until(anonymous, 200).text == "OK"
