"""The dashboard in a real headless Chromium: the fleet page with 2,000 nodes, and what an
instance page's live updates cost the API. Prints a table.

    apt-get install chromium   # once
    .venv/bin/python -m bench.dashboard [--nodes 2000] [--runs 5]

Figures (``mogan serve`` on SQLite, the fake driver):
- Fleet page: from navigation to every tile visible (wall time in the browser's process:
  server rendering, transfer, parsing and layout), median of ``--runs`` cold loads; beside it
  the server's part (navigation timing: request start to response end) and the page's size.
- Instance page: the API calls each live-update poll made (the dashboard's
  ``X-Mogan-API-Calls`` header, counted per poll) while an instance builds and powers off.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

import bench
from mogan.dashboard.pages.fleet import PAGE
from mogan.db import bulk
from mogan.db.database import Database
from tests.databases import fresh_database
from tests.functional.browser import chromium_path
from tests.functional.process import MoganProcess

ADMIN = {"X-Project-Id": "admin", "X-User-Id": "root", "X-Roles": "admin"}


def enrol(url: str, count: int) -> None:
    """``count`` available fake nodes in four zones and forty racks, loaded in bulk
    (``mogan.db.bulk``; an enrolment each, verified by an engine, took minutes at 20,000)."""
    db = Database(url)
    bulk.add_nodes(
        db,
        (
            {
                "uuid": str(uuid.uuid4()),
                "name": f"node-{index:05d}",
                "driver": "fake",
                "availability_zone": f"az{index % 4}",
                "properties": {"rack": f"r{index % 40:02d}"},
                "provision_state": "available",
                "power_state": "power off",
                "nics": [
                    {
                        "uuid": str(uuid.uuid4()),
                        "mac_address": f"52:56:00:{index // 65536:02x}:"
                        f"{index // 256 % 256:02x}:{index % 256:02x}",
                    }
                ],
            }
            for index in range(count)
        ),
    )
    db.dispose()


def login(page, base: str, project: str, roles: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/dashboard/login")
    page.get_by_label("Project").fill(project)
    page.get_by_label("User").fill(f"{project}-user")
    for role in ("reader", "member", "admin"):
        page.get_by_label(role, exact=True).set_checked(role in roles)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard/instances**")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    options = bench.parse(parser, nodes=200, runs=1)
    work = Path(tempfile.mkdtemp(prefix="mogan-bench-dashboard-"))
    with fresh_database("sqlite", str(work)) as url:
        mogan = MoganProcess(
            work,
            url,
            DEFAULT={"enabled_drivers": "fake"},
            fake={"deploy_latency": 3, "power_latency": 2},
            dashboard={"poll_interval": 0.5},
            api={"max_limit": 1000},
        ).start()
        try:
            enrol(url, options.nodes)
            rows = measure(mogan.url, options)
        finally:
            mogan.stop()
    print(f"\nDashboard, {options.nodes} nodes, headless Chromium ({chromium_path()})\n")
    print(f"| {'figure':<62} | {'value':>12} |")
    print(f"| {'-' * 62} | {'-' * 12}:|")
    for name, value in rows:
        print(f"| {name:<62} | {value:>12} |")


def measure(base: str, options: argparse.Namespace) -> list[tuple[str, str]]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        login(page, base, "admin", ("admin",))
        walls, servers, sizes = [], [], []
        tiles = min(options.nodes, PAGE)  # the first page of the fleet
        for _ in range(options.runs + 1):  # the first load warms caches up: not counted
            page.goto("about:blank")
            started = time.perf_counter()
            response = page.goto(f"{base}/dashboard/fleet", wait_until="commit")
            page.locator("a.tile").nth(tiles - 1).wait_for(state="visible")
            walls.append(time.perf_counter() - started)
            timing = page.evaluate(
                "(() => { const n = performance.getEntriesByType('navigation')[0];"
                " return [n.responseEnd - n.requestStart, n.encodedBodySize]; })()"
            )
            servers.append(timing[0] / 1000)
            sizes.append(timing[1])
            assert response is not None and response.status == 200
            assert page.locator("a.tile").count() == tiles
        walls, servers = walls[1:], servers[1:]

        # An instance page while it builds, then powers off: API calls per poll.
        tenant = browser.new_context().new_page()
        login(tenant, base, "bench", ("member",))
        with httpx.Client(base_url=base, headers=ADMIN, timeout=30) as client:
            client.post("/v1/types", json={"name": "bm"})
            client.post(
                "/v1/images",
                json={"name": "img", "url": "http://img/x.qcow2", "disk_format": "qcow2"},
            )
            client.post("/v1/networks", json={"name": "net", "subnets": [{"cidr": "10.9.0.0/16"}]})
        calls: list[int] = []
        tenant.on(
            "response",
            lambda r: (
                calls.append(int(r.headers.get("x-mogan-api-calls", "-1")))
                if r.url.split("?")[0].endswith("/live")
                else None
            ),
        )
        tenant.get_by_role("link", name="Create instance").click()
        tenant.get_by_label("Name").fill("bench-1")
        tenant.get_by_role("button", name="Create").click()
        tenant.get_by_test_id("status").filter(has_text="active").wait_for(timeout=60_000)
        tenant.get_by_role("link", name="Power off").click()
        tenant.get_by_role("button", name="Power off").click()
        tenant.get_by_test_id("power").filter(has_text="power off").wait_for(timeout=60_000)
        browser.close()
    return [
        (
            "fleet page: navigation → its first page of tiles visible, median (s)",
            f"{statistics.median(walls):.3f}",
        ),
        ("fleet page: slowest of the runs (s)", f"{max(walls):.3f}"),
        (
            "fleet page: server part (request → response end), median (s)",
            f"{statistics.median(servers):.3f}",
        ),
        ("fleet page: size (KiB)", f"{statistics.median(sizes) / 1024:.0f}"),
        ("instance page: polls while building and powering off", str(len(calls))),
        ("instance page: API calls per poll (max)", str(max(calls) if calls else "none")),
    ]


if __name__ == "__main__":
    main()
