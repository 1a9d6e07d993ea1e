"""The dashboard in a real headless Chromium, against a real ``mogan serve``: as tenants,
readers and operators use it, and behind a real Keystone."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Frame, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.functional.browser import browser, login_noauth, operator_setup, screenshot
from tests.functional.conftest import keystone_mogan
from tests.functional.process import MoganProcess
from tests.peers.keystone import PASSWORD, KeystoneServer
from tests.peers.redfish import FileServer

# What a browser shows is the API's answer, which tests/api checks on both databases.
pytestmark = [pytest.mark.functional, pytest.mark.backends("sqlite")]
__all__ = ["browser"]  # the fixture, for pytest

FAST = {
    "DEFAULT": {"enabled_drivers": "fake"},
    "fake": {"deploy_latency": 1.5, "power_latency": 1.0, "clean_latency": 1.5},
    "dashboard": {"poll_interval": 0.3},
}


def _page(browser: Browser, *, width: int = 1280, height: int = 800) -> Page:
    return browser.new_context(viewport={"width": width, "height": height}).new_page()


def _nav(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def _create(page: Page, name: str) -> None:
    page.get_by_role("link", name="Create instance").click()
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/dashboard/instances/*")


def _confirm(page: Page, action: str) -> None:
    page.get_by_role("link", name=action).click()
    page.get_by_role("button", name=action).click()


def test_a_tenant_creates_watches_powers_off_and_deletes(
    serve: Callable[..., MoganProcess], browser: Browser
):
    mogan = serve(**FAST)
    operator_setup(mogan.url)
    page = _page(browser)
    login_noauth(page, mogan.url, "tenant-a", "alice", "member")
    expect(page.get_by_text("No instances yet.")).to_be_visible()
    _create(page, "web-1")
    screenshot(page, "instance-building")
    # The page updates itself: no reload (the marker survives) until the instance is active.
    page.evaluate("window.__stillTheSamePage = true")
    status = page.get_by_test_id("status")
    expect(status).to_have_text("building")
    expect(status).to_have_text("active", timeout=30_000)
    expect(page.get_by_test_id("power")).to_have_text("power on")
    expect(page.get_by_test_id("addresses")).to_contain_text("10.30.0.")
    assert page.evaluate("window.__stillTheSamePage") is True
    screenshot(page, "instance-active")

    _confirm(page, "Power off")
    expect(page.get_by_test_id("power")).to_have_text("power off", timeout=30_000)
    expect(page.get_by_role("button", name="Power on")).to_be_visible()
    history = page.locator("table.list").last
    expect(history).to_contain_text("power_off")

    # Rescue: the rescue password is shown once, on the answer page, never in its URL.
    _confirm(page, "Rescue")
    password = page.get_by_test_id("rescue-password").inner_text()
    assert len(password) == 16 and password not in page.url
    screenshot(page, "instance-rescue-password")
    page.get_by_role("link", name="Back to web-1").click()
    expect(page.get_by_test_id("status")).to_have_text("rescue", timeout=30_000)
    expect(page.get_by_test_id("power")).to_have_text("power on")
    expect(page.get_by_role("link", name="Rebuild")).to_have_count(0)
    page.get_by_role("button", name="Unrescue").click()
    expect(page.get_by_test_id("status")).to_have_text("active", timeout=30_000)
    expect(page.locator("table.list").last).to_contain_text("unrescue")

    _nav(page, "Instances").click()
    row = page.locator("tr", has_text="web-1")
    expect(row).to_contain_text("power on")
    expect(row).to_contain_text("10.30.0.")
    screenshot(page, "instances")

    page.get_by_role("link", name="web-1").click()
    _confirm(page, "Delete")
    page.wait_for_url("**/dashboard/instances?**")
    expect(page.get_by_text("No instances yet.")).to_be_visible(timeout=30_000)


def test_a_tenant_types_on_the_console_and_another_cannot_use_it(
    serve: Callable[..., MoganProcess], browser: Browser
):
    mogan = serve(**FAST)
    operator_setup(mogan.url)
    page = _page(browser)
    login_noauth(page, mogan.url, "tenant-a", "alice", "member")
    _create(page, "web-1")
    expect(page.get_by_test_id("status")).to_have_text("active", timeout=30_000)
    page.get_by_role("link", name="Console").click()
    terminal = page.get_by_test_id("terminal")
    expect(terminal).to_have_attribute("data-state", "open", timeout=15_000)
    rows = page.locator(".xterm-rows")
    expect(rows).to_contain_text("web-1 login:", timeout=15_000)
    page.locator(".xterm").click()
    page.keyboard.type("root")
    expect(rows).to_contain_text("web-1 login: root")
    page.keyboard.press("Enter")
    expect(rows).to_contain_text("Password:")
    screenshot(page, "instance-console")
    used = terminal.get_attribute("data-url")
    assert used and "token=" in used and used.startswith("ws://")

    # Bob neither sees Alice's console page nor can open the console with its ticket.
    bob = _page(browser)
    login_noauth(bob, mogan.url, "tenant-b", "bob", "member")
    bob.goto(page.url)
    expect(bob.get_by_test_id("terminal")).to_have_count(0)
    outcome = bob.evaluate(
        """url => new Promise(done => {
            const socket = new WebSocket(url);
            socket.onopen = () => done("open");
            socket.onclose = () => done("refused");
        })""",
        used,
    )
    assert outcome == "refused"
    expect(rows).to_contain_text("Password:")  # Alice's console is still hers


def test_tenants_are_kept_apart_and_readers_see_no_buttons_that_would_fail(
    serve: Callable[..., MoganProcess], browser: Browser
):
    mogan = serve(**FAST)
    operator_setup(mogan.url)
    alice = _page(browser)
    login_noauth(alice, mogan.url, "tenant-a", "alice", "member")
    _create(alice, "secret-db")
    expect(alice.get_by_test_id("status")).to_have_text("active", timeout=30_000)
    instance_url = alice.url.split("?")[0]

    bob = _page(browser)
    login_noauth(bob, mogan.url, "tenant-b", "bob", "member")
    expect(bob.get_by_text("No instances yet.")).to_be_visible()
    expect(bob.get_by_text("secret-db")).to_have_count(0)
    bob.goto(instance_url)
    expect(bob.get_by_role("heading", name="Not found")).to_be_visible()
    expect(bob.get_by_text("secret-db")).to_have_count(0)

    rita = _page(browser)
    login_noauth(rita, mogan.url, "tenant-a", "rita", "reader")
    expect(rita.get_by_role("link", name="secret-db")).to_be_visible()
    expect(rita.get_by_role("link", name="Create instance")).to_have_count(0)
    expect(_nav(rita, "Fleet")).to_have_count(0)
    rita.get_by_role("link", name="secret-db").click()
    expect(rita.get_by_test_id("status")).to_have_text("active")
    expect(rita.locator(".actions")).to_have_count(0)
    screenshot(rita, "instance-as-reader")

    # At phone width nothing spills sideways off the page.
    phone = _page(browser, width=390, height=844)
    login_noauth(phone, mogan.url, "tenant-a", "alice", "member")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "instances-phone")


def test_a_nodes_page_shows_what_its_deploy_template_configured(
    serve: Callable[..., MoganProcess], browser: Browser
):
    from tests.api.test_deploy_templates import RAID10_HT_OFF

    mogan = serve(**FAST)
    made = operator_setup(mogan.url, nodes=1)
    admin = {"X-Project-Id": "admin", "X-User-Id": "root", "X-Roles": "admin"}
    with httpx.Client(base_url=mogan.url, headers=admin, timeout=30) as client:
        assert client.put("/v1/nodes/n0/traits/CUSTOM_DB_RAID10").status_code == 204
        assert client.post("/v1/deploy_templates", json=RAID10_HT_OFF).status_code == 201
        specs = {"trait:CUSTOM_DB_RAID10": "required"}
        type_uuid = made["type"]["uuid"]
        assert client.patch(f"/v1/types/{type_uuid}/extraspecs", json=specs).status_code == 201
        created = client.post(
            "/v1/instances",
            json={
                "name": "db-1",
                "instance_type_uuid": type_uuid,
                "image_uuid": made["image"]["uuid"],
                "networks": [{"net_id": made["network"]["uuid"]}],
            },
        )
        assert created.status_code == 201, created.text
    page = _page(browser)
    login_noauth(page, mogan.url, "admin", "root", "admin")
    page.goto(f"{mogan.url}/dashboard/nodes/n0")
    configuration = page.get_by_test_id("configuration")
    for _ in range(60):  # the deploy takes the fake latency; the page is read again
        if configuration.count():
            break
        time.sleep(0.5)
        page.reload()
    expect(configuration).to_contain_text("LogicalProc=Disabled")
    expect(configuration).to_contain_text("RAID 1+0, MAX (root)")
    screenshot(page, "node-configuration")


def test_an_operator_puts_a_node_in_maintenance_and_sees_its_tile_change(
    serve: Callable[..., MoganProcess], browser: Browser
):
    mogan = serve(**FAST)
    operator_setup(mogan.url, nodes=4)
    page = _page(browser)
    login_noauth(page, mogan.url, "admin", "root", "admin")
    _nav(page, "Fleet").click()
    tile = page.locator("a.tile[data-node=n1]")
    expect(tile).to_have_attribute("data-state", "available")
    expect(page.get_by_test_id("count-available")).to_have_text("4")
    expect(page.get_by_role("heading", name="Rack r1")).to_be_visible()
    screenshot(page, "fleet")
    # Search narrows the tiles as it is typed.
    page.get_by_label("Search").fill("n3")
    expect(page.locator("a.tile")).to_have_count(1, timeout=10_000)
    page.get_by_label("Search").fill("")
    expect(page.locator("a.tile")).to_have_count(4, timeout=10_000)

    # A clean started from a node's page is followed there until it ends.
    page.locator("a.tile[data-node=n2]").click()
    page.get_by_role("button", name="Clean", exact=True).click()
    expect(page.get_by_test_id("provision-state")).to_have_text("cleaning")
    page.evaluate("window.__stillTheSamePage = true")
    expect(page.get_by_test_id("provision-state")).to_have_text("available", timeout=30_000)
    assert page.evaluate("window.__stillTheSamePage") is True
    expect(page.locator("table.list").last).to_contain_text("erase_volumes")
    _nav(page, "Fleet").click()
    page.locator("a.tile[data-node=n1]").click()
    page.get_by_label("Reason").fill("replacing a DIMM")
    page.get_by_role("button", name="Put in maintenance").click()
    expect(page.get_by_test_id("maintenance")).to_have_text("yes: replacing a DIMM")
    screenshot(page, "node")
    _nav(page, "Fleet").click()
    expect(page.locator("a.tile[data-node=n1]")).to_have_attribute("data-state", "maintenance")
    expect(page.get_by_test_id("count-maintenance")).to_have_text("1")
    expect(page.get_by_test_id("count-available")).to_have_text("3")
    for name in ("Types", "Images", "Networks"):
        _nav(page, name).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        screenshot(page, name.lower())


def test_a_keystone_login_and_a_log_out_that_revokes(
    keystone: KeystoneServer, browser: Browser, tmp_path: Path, fresh_url: str
):
    mogan = keystone_mogan(tmp_path, fresh_url, keystone)
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{mogan.url}/dashboard/")
        expect(page.get_by_text("noauth mode")).to_have_count(0)
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("wrong")
        page.get_by_label("Project", exact=True).fill("project-a")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_have_text("Keystone did not accept these credentials.")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/dashboard/instances**")
        expect(page.get_by_test_id("who")).to_have_text("alice in project-a")
        screenshot(page, "keystone-instances")
        cookies = context.cookies()
        (session,) = [c for c in cookies if c["name"] == "mogan_dashboard"]
        assert session["httpOnly"] and session["sameSite"] == "Strict"

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url("**/dashboard/login**")
        # The old cookie is worth nothing now: its Keystone token was revoked (once the API's
        # cached validation of it has run out: [keystone_authtoken] token_cache_time).
        deadline = time.monotonic() + 15
        while True:
            replay = httpx.get(
                f"{mogan.url}/dashboard/instances",
                cookies={"mogan_dashboard": session["value"]},
                follow_redirects=False,
            )
            if replay.status_code == 303:
                break
            assert time.monotonic() < deadline, "the revoked token still opens the dashboard"
            time.sleep(0.5)
        assert "/dashboard/login" in replay.headers["location"]
    finally:
        mogan.kill()


def test_another_site_can_neither_frame_the_dashboard_nor_act_through_it(
    serve: Callable[..., MoganProcess], browser: Browser, tmp_path: Path
):
    """A page on another site (``localhost``, Mogan being ``127.0.0.1``) that the logged-in
    tenant visits: it frames the dashboard, posts a login of its own and a delete."""
    mogan = serve(**FAST)
    operator_setup(mogan.url)
    page = _page(browser)
    login_noauth(page, mogan.url, "tenant-a", "alice", "member")
    _create(page, "precious")
    victim = page.url.rsplit("/", 1)[-1]
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "index.html").write_text(
        f"""<!doctype html><html><body>
        <iframe name="framed" src="{mogan.url}/dashboard/instances"></iframe>
        <iframe name="sink"></iframe>
        <form id="login" method="post" action="{mogan.url}/dashboard/login">
          <input name="project_id" value="attacker"><input name="user_id" value="mallory">
          <input name="role_member" value="1"><input name="csrf_token" value="guess">
        </form>
        <form id="delete" method="post" target="sink"
              action="{mogan.url}/dashboard/instances/{victim}/delete">
          <input name="csrf_token" value="guess">
        </form>
        </body></html>"""
    )
    with FileServer(evil) as site:
        attack = page.context.new_page()
        # Another site: localhost, where Mogan is 127.0.0.1.
        attack.goto(site.url.replace("127.0.0.1", "localhost") + "/index.html")
        attack.wait_for_timeout(500)
        framed = attack.locator("iframe[name=framed]").element_handle().content_frame()
        assert framed is not None
        # Refused by the browser: not even the login page shows inside another site's page.
        assert "Mogan" not in _frame_text(framed) and "Log in" not in _frame_text(framed)
        with attack.expect_response(lambda r: r.request.method == "POST"):
            attack.evaluate("document.getElementById('delete').submit()")
        # A top-level login would set its cookie: it is refused for want of the login page's.
        with attack.expect_response(lambda r: r.request.method == "POST") as answer:
            attack.evaluate("document.getElementById('login').submit()")
        assert answer.value.status == 403
        attack.close()
    # The tenant is still the tenant, and the instance is still there.
    page.goto(f"{mogan.url}/dashboard/instances")
    expect(page.get_by_test_id("who")).to_have_text("alice in tenant-a")
    expect(page.locator("tr", has_text="precious")).to_be_visible()
    tenant = {"X-Project-Id": "tenant-a", "X-User-Id": "alice", "X-Roles": "member"}
    with httpx.Client(base_url=mogan.url, headers=tenant, timeout=30) as client:
        assert client.get(f"/v1/instances/{victim}").json()["status"] in ("building", "active")


def _frame_text(frame: Frame) -> str:
    try:
        return str(frame.evaluate("document.body ? document.body.innerText : ''"))
    except PlaywrightError:
        return ""  # an error page the test cannot even read
