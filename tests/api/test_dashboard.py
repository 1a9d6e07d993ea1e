"""The dashboard's guards, over HTTP: sessions, CSRF, redirects, and ``GET /v1/me``."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.harness import Api, project

# The dashboard speaks only the API, which the rest of tests/api checks on both databases.
pytestmark = pytest.mark.backends("sqlite")


def _login(http: httpx.Client, project_id: str, *roles: str, **extra: str) -> httpx.Response:
    """Log in as a browser does: the login page first (its pre-session cookie and token)."""
    token = _csrf(http.get("/dashboard/login"))
    form = {"project_id": project_id, "user_id": f"{project_id}-user", "csrf_token": token}
    form.update(extra)
    form.update({f"role_{role}": "1" for role in roles})
    return http.post("/dashboard/login", data=form)


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def test_me_tells_the_caller_what_the_policy_allows(api: Api):
    member = api.get("/v1/me").json()
    assert (member["project_id"], member["roles"]) == ("tenant-a", ["member"])
    assert member["allowed"]["mogan:instance:create"] is True
    assert member["allowed"]["mogan:node:get"] is False
    reader = api.as_(project("tenant-a", "reader")).get("/v1/me").json()
    assert reader["allowed"]["mogan:instance:create"] is False
    assert reader["allowed"]["mogan:instance:get"] is True
    assert api.admin.get("/v1/me").json()["allowed"]["mogan:node:clean"] is True
    assert Api(api.http, {"X-Roles": "member"}).get("/v1/me").status_code == 400


def test_pages_need_a_session_and_changes_need_its_csrf_token(api: Api):
    http = api.http
    anonymous = http.get("/dashboard/instances")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/dashboard/login")
    refused = _login(http, "tenant-a")
    assert refused.status_code == 400 and "Choose at least one role" in refused.text
    logged = _login(http, "tenant-a", "member", next="https://evil.example/steal")
    assert logged.status_code == 303
    assert logged.headers["location"] == "/dashboard/instances"  # never off-site
    cookie = logged.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie
    http.cookies.set("mogan_dashboard", logged.cookies["mogan_dashboard"])
    page = http.get("/dashboard/instances/new")
    assert page.status_code == 200
    token = _csrf(page)
    forged = http.post("/dashboard/instances", data={"name": "x", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert api.get("/v1/instances").json()["instances"] == []  # nothing was created
    missing = http.post("/dashboard/instances", data={"name": "x", "csrf_token": token})
    assert missing.status_code == 400  # the API's own refusal, shown on the form
    assert "Invalid" in missing.text or "invalid" in missing.text
    tampered = logged.cookies["mogan_dashboard"][:-4] + "AAAA"
    http.cookies.set("mogan_dashboard", tampered)
    assert http.get("/dashboard/instances").status_code == 303
    http.cookies.clear()


def test_another_tenants_instance_is_not_found_in_the_dashboard(api: Api, fleet):
    created = api.create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}])
    uuid = created.json()["uuid"]
    with httpx.Client(base_url=str(api.http.base_url)) as other:
        _login(other, "tenant-b", "member")
        assert other.get(f"/dashboard/instances/{uuid}").status_code == 404
        assert other.get(f"/dashboard/instances/{uuid}/live").status_code == 303  # gone: list
        listed = other.get("/dashboard/instances")
        assert uuid not in listed.text
        page = other.get("/dashboard/instances/new")
        acted = other.post(f"/dashboard/instances/{uuid}/delete", data={"csrf_token": _csrf(page)})
        assert acted.status_code == 404
    assert api.get(f"/v1/instances/{uuid}").status_code == 200


def test_a_live_update_costs_one_get_of_the_instance(api: Api, fleet):
    created = api.create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}])
    uuid = created.json()["uuid"]
    with httpx.Client(base_url=str(api.http.base_url)) as http:
        _login(http, "tenant-a", "member")
        live = http.get(f"/dashboard/instances/{uuid}/live")
        assert live.status_code == 200
        assert live.headers["X-Mogan-API-Calls"] == "1"
        assert live.headers["X-OpenStack-Request-Id"].startswith("req-")


def test_an_administrators_lock_offers_its_owner_no_unlock(api: Api, fleet):
    created = api.create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}])
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active")
    held = api.admin.put(f"/v1/instances/{uuid}/states/lock", {"target": True, "reason": "hold"})
    assert held.status_code == 200
    with httpx.Client(base_url=str(api.http.base_url)) as http:
        _login(http, "tenant-a", "member")
        page = http.get(f"/dashboard/instances/{uuid}").text
        assert ">locked<" in page
        for button in (">Unlock<", ">Delete<", ">Power off<", ">Rebuild<"):
            assert button not in page
    with httpx.Client(base_url=str(api.http.base_url)) as http:
        _login(http, "admin", "admin")
        assert ">Unlock<" in http.get(f"/dashboard/instances/{uuid}").text


def test_a_login_or_log_out_from_another_sites_page_changes_nothing(api: Api):
    http = api.http
    # Another site's page can post the form, but never with the login page's cookie.
    forged = http.post(
        "/dashboard/login",
        data={"project_id": "attacker", "user_id": "a", "role_member": "1", "csrf_token": "x"},
    )
    assert forged.status_code == 403 and "mogan_dashboard=" not in forged.headers.get(
        "set-cookie", ""
    )
    logged = _login(http, "tenant-a", "member")
    assert logged.status_code == 303
    http.cookies.set("mogan_dashboard", logged.cookies["mogan_dashboard"])
    assert http.post("/dashboard/logout", data={}).status_code == 403
    assert http.post("/dashboard/logout", data={"csrf_token": "é-not-ascii"}).status_code == 403
    assert http.get("/dashboard/instances").status_code == 200  # still logged in
    http.cookies.clear()


def test_a_non_ascii_csrf_token_is_refused_not_a_500(api: Api):
    logged = _login(api.http, "tenant-a", "member")
    api.http.cookies.set("mogan_dashboard", logged.cookies["mogan_dashboard"])
    for token in ("é", "\u2603" * 10):
        sent = api.http.post("/dashboard/instances", data={"name": "x", "csrf_token": token})
        assert sent.status_code == 403, sent.text
    api.http.cookies.clear()


def test_a_noauth_log_out_ends_every_copy_of_the_session(api: Api):
    logged = _login(api.http, "tenant-a", "member")
    cookie = logged.cookies["mogan_dashboard"]
    api.http.cookies.set("mogan_dashboard", cookie)
    page = api.http.get("/dashboard/instances/new")
    assert api.http.post("/dashboard/logout", data={"csrf_token": _csrf(page)}).status_code == 303
    with httpx.Client(base_url=str(api.http.base_url)) as thief:
        thief.cookies.set("mogan_dashboard", cookie)
        stolen = thief.get("/dashboard/instances")
        assert stolen.status_code == 303 and "/dashboard/login" in stolen.headers["location"]
    api.http.cookies.clear()


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/instances/%2e%2e/live",
        "/dashboard/instances/%2E%2E",
        "/dashboard/instances/not-a-uuid",
        "/dashboard/nodes/%2e%2e",
        "/dashboard/instances/%2e%2e/confirm/delete",
    ],
)
def test_path_parameters_are_checked_before_any_api_call(api: Api, path):
    logged = _login(api.http, "admin", "admin")
    api.http.cookies.set("mogan_dashboard", logged.cookies["mogan_dashboard"])
    page = api.http.get(path)
    assert page.status_code == 404, page.text
    assert page.headers.get("x-mogan-api-calls") is None  # the API was never asked
    api.http.cookies.clear()


def test_every_page_tells_the_browser_to_keep_it_to_itself(api: Api):
    for page in (api.http.get("/dashboard/login"), api.http.get("/dashboard/instances")):
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "same-origin"


def test_cookies_are_secure_behind_a_tls_proxy(mogan_factory, api_for):
    behind_tls = api_for(mogan_factory(api__public_endpoint="https://mogan.example.com"))
    page = behind_tls.http.get("/dashboard/login")
    assert "secure" in page.headers["set-cookie"].lower()
    logged = _login(behind_tls.http, "tenant-a", "member")
    assert "secure" in logged.headers["set-cookie"].lower()


def test_the_fleet_page_pages_and_filters_on_the_server(api: Api, monkeypatch):
    from mogan.dashboard.pages import fleet

    monkeypatch.setattr(fleet, "PAGE", 2)
    names = [f"rack-node-{i}" for i in range(5)]
    for name in names:
        api.enrol(name, zone="az2" if name.endswith("4") else "az1")
    assert api.admin.put("/v1/nodes/rack-node-3/maintenance").status_code in (202, 204)
    http = api.http
    logged = _login(http, "admin", "admin")
    http.cookies.set("mogan_dashboard", logged.cookies["mogan_dashboard"])

    def tiles(**params: str) -> list[str]:
        page = http.get("/dashboard/fleet", params=params)
        assert page.status_code == 200, page.text
        return re.findall(r'data-node="([^"]+)"', page.text)

    first = http.get("/dashboard/fleet")
    assert re.findall(r'data-testid="count-available">(\d+)<', first.text) == ["4"]
    assert re.findall(r'data-testid="count-maintenance">(\d+)<', first.text) == ["1"]
    assert "2 of 5 shown" in first.text
    seen = tiles()
    assert len(seen) == 2
    marker = re.search(r'marker=([0-9a-f-]+)" *>Next page', first.text) or re.search(
        r'rel="next" href="[^"]*marker=([0-9a-f-]+)"', first.text
    )
    assert marker, first.text
    second = tiles(marker=marker.group(1))
    assert len(second) == 2 and not set(second) & set(seen)
    assert tiles(state="maintenance") == ["rack-node-3"]
    assert sorted(tiles(zone="az2")) == ["rack-node-4"]
    assert tiles(q="rack-node-2") == ["rack-node-2"]
    assert tiles(q="rack-node") == []  # a search names a node: exact name or a UUID
    node = api.admin.get("/v1/nodes/rack-node-1").json()
    assert tiles(q=node["uuid"]) == ["rack-node-1"]
    assert tiles(state="available", q="rack-node-3") == []  # it is in maintenance
