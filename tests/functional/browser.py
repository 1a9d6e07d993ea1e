"""A real headless Chromium (Debian's ``chromium``) driven by Playwright, for the dashboard.

Playwright's own browser download is never used: the system Chromium is launched by path.
Screenshots of the main pages are saved under ``$MOGAN_ARTIFACTS`` (default ``artifacts/``)
as test artifacts.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ARTIFACTS = Path(
    os.environ.get("MOGAN_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts")
)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            # As root (CI) Chromium refuses its sandbox; the pages are our own.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


def screenshot(page: Page, name: str) -> Path:
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def login_noauth(page: Page, base: str, project: str, user: str, *roles: str) -> None:
    page.goto(f"{base}/dashboard/")
    page.get_by_label("Project").fill(project)
    page.get_by_label("User").fill(user)
    for role in ("reader", "member", "admin"):
        page.get_by_label(role, exact=True).set_checked(role in roles)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard/instances**")


def operator_setup(url: str, nodes: int = 2) -> dict[str, Any]:
    admin = {"X-Project-Id": "admin", "X-User-Id": "root", "X-Roles": "admin"}
    with httpx.Client(base_url=url, headers=admin, timeout=30) as client:
        for index in range(nodes):
            response = client.post(
                "/v1/nodes",
                json={
                    "name": f"n{index}",
                    "driver": "fake",
                    "availability_zone": "az1",
                    "properties": {"rack": f"r{index % 2}"},
                    "nics": [{"mac_address": f"52:54:00:d0:00:{index:02x}"}],
                },
            )
            assert response.status_code == 201, response.text
        made = {
            "type": client.post("/v1/types", json={"name": "bm.small"}).json(),
            "image": client.post(
                "/v1/images",
                json={"name": "ubuntu", "url": "http://img/u.qcow2", "disk_format": "qcow2"},
            ).json(),
            "network": client.post(
                "/v1/networks", json={"name": "prod", "subnets": [{"cidr": "10.30.0.0/24"}]}
            ).json(),
        }
    return made
