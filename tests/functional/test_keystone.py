"""``auth_strategy = keystone`` against a real Keystone: a real ``mogan serve`` behind
keystonemiddleware, callers with real tokens.

Identity does not depend on the database, so these run on SQLite only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import conformance
from tests.databases import fresh_database
from tests.functional.conftest import keystone_mogan
from tests.functional.process import MoganProcess
from tests.harness import Api, fault_of
from tests.peers.keystone import TOKEN_LIFETIME, Account, KeystoneServer

pytestmark = pytest.mark.functional


@pytest.fixture
def mogan(keystone: KeystoneServer, tmp_path: Path) -> Iterator[MoganProcess]:
    with fresh_database("sqlite", str(tmp_path)) as url:
        process = keystone_mogan(tmp_path, url, keystone)
        yield process
        process.kill()


@pytest.fixture
def http(mogan: MoganProcess) -> Iterator[httpx.Client]:
    with conformance.client(mogan.url, timeout=30) as client:
        yield client


class TokenApi(Api):
    """The test client, calling with one Keystone token for everything, operator calls too."""

    @property
    def admin(self) -> Api:
        return self


def as_(http: httpx.Client, keystone: KeystoneServer, account: Account) -> Api:
    return TokenApi(http, {"X-Auth-Token": keystone.token(account)})


def _fleet(admin: Api, nodes: int = 3) -> tuple[dict, dict, dict]:
    for index in range(nodes):
        admin.enrol(f"node-{index}")
    return admin.make_type(), admin.make_image(), admin.make_network()


def test_tokens_are_required_except_for_version_documents(http: httpx.Client):
    assert http.get("/").status_code == 200
    assert http.get("/v1").status_code == 200
    assert http.get("/healthcheck").text == "OK"  # load balancers hold no token
    someone = "0b5f8a4e-2d7c-4f3a-9e1b-6c8d7e9f0a12"
    for headers in ({}, {"X-Auth-Token": "not-a-token"}):
        response = http.get("/v1/instances", headers=headers)
        assert response.status_code == 401
        for method, path in (
            ("GET", f"/v1/instances/{someone}/tags"),
            ("PUT", f"/v1/instances/{someone}/tags/x"),
            ("GET", f"/v1/instances/{someone}/actions"),
            ("PUT", f"/v1/instances/{someone}/states/provision"),
            ("GET", "/v1/keypairs"),
            ("GET", "/v1/quotas/project-a/usage"),
            ("PUT", "/v1/quotas/project-a"),
            ("GET", "/v1/server_groups"),
            ("POST", "/v1/server_groups"),
        ):
            assert http.request(method, path, headers=headers).status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")
        assert fault_of(response)["faultcode"] == "Client"
        assert "X-Auth-Token" in fault_of(response)["faultstring"]
    # Trusted headers mean nothing without a token.
    forged = {"X-Project-Id": "project-a", "X-Roles": "admin"}
    assert http.get("/v1/nodes", headers=forged).status_code == 401


def test_projects_are_isolated_and_roles_decide(http: httpx.Client, keystone: KeystoneServer):
    admin = as_(http, keystone, keystone.ADMIN)
    alice = as_(http, keystone, keystone.ALICE)
    bob = as_(http, keystone, keystone.BOB)
    rita = as_(http, keystone, keystone.RITA)
    type_, image, network = _fleet(admin)

    created = alice.create(type_, image, [{"net_id": network["uuid"]}], name="alice-1")
    assert created.status_code == 201, created.text
    instance = created.json()
    assert instance["project_id"] == keystone.project_ids["project-a"]
    alice.wait_status(instance["uuid"], "active")

    # Bob's project sees nothing of it, even when he claims to be in project-a.
    assert bob.get(f"/v1/instances/{instance['uuid']}").status_code == 404
    assert bob.get("/v1/instances").json()["instances"] == []
    spoofed = bob.get("/v1/instances", headers={"X-Project-Id": keystone.project_ids["project-a"]})
    assert spoofed.json()["instances"] == []
    assert bob.delete(f"/v1/instances/{instance['uuid']}").status_code == 404

    # A reader of project-a reads, and may not write.
    assert rita.get(f"/v1/instances/{instance['uuid']}").status_code == 200
    assert [i["uuid"] for i in rita.get("/v1/instances").json()["instances"]] == [instance["uuid"]]
    refused = [
        rita.create(type_, image, [{"net_id": network["uuid"]}], name="rita-1"),
        rita.put(f"/v1/instances/{instance['uuid']}/states/power", {"target": "off"}),
        rita.patch(
            f"/v1/instances/{instance['uuid']}",
            [{"op": "replace", "path": "/name", "value": "x"}],
        ),
        rita.delete(f"/v1/instances/{instance['uuid']}"),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert "Policy does not allow" in fault_of(refused[0])["faultstring"]

    # Types and nodes are the operator's; all_tenants too.
    assert alice.post("/v1/types", {"name": "mine"}).status_code == 403
    assert alice.get("/v1/nodes").status_code == 403
    assert alice.get("/v1/instances", params={"all_tenants": 1}).status_code == 403
    every = admin.get("/v1/instances", params={"all_tenants": 1})
    assert [i["uuid"] for i in every.json()["instances"]] == [instance["uuid"]]

    # The member deletes her own instance.
    assert alice.delete(f"/v1/instances/{instance['uuid']}").status_code == 204
    alice.wait_gone(instance["uuid"])


def test_revoked_and_expired_tokens_are_refused(http: httpx.Client, keystone: KeystoneServer):
    token = keystone.token(keystone.ALICE)
    assert http.get("/v1/instances", headers={"X-Auth-Token": token}).status_code == 200
    keystone.revoke(token)
    time.sleep(1.5)  # the validation cached by auth_token runs out ([keystone_authtoken])
    assert http.get("/v1/instances", headers={"X-Auth-Token": token}).status_code == 401

    short_lived = keystone.token(keystone.BOB)
    assert http.get("/v1/instances", headers={"X-Auth-Token": short_lived}).status_code == 200
    time.sleep(TOKEN_LIFETIME + 1)
    expired = http.get("/v1/instances", headers={"X-Auth-Token": short_lived})
    assert expired.status_code == 401


def test_keystone_down_is_503(mogan: MoganProcess, tmp_path: Path):
    # A Keystone of its own, to stop without disturbing the other tests.
    keystone = KeystoneServer(tmp_path).start()
    process = None
    try:
        with fresh_database("sqlite", str(tmp_path / "db")) as url:
            process = keystone_mogan(tmp_path, url, keystone, http_connect_timeout=2)
            token = keystone.token(keystone.ALICE)
            keystone.stop()
            # curl, httpx and requests send "Accept: */*"; a browser prefers HTML.
            for accept in ("*/*", "text/html", "application/json"):
                response = httpx.get(
                    f"{process.url}/v1/instances",
                    headers={"X-Auth-Token": token, "Accept": accept},
                    timeout=60,
                )
                assert response.status_code == 503
                assert response.headers["content-type"] == "application/json"
                fault = fault_of(response)
                assert fault["faultcode"] == "Server"
                # Plain words a person can act on, never WebOb's HTML page.
                assert "<" not in fault["faultstring"], fault["faultstring"]
                assert "identity service" in fault["faultstring"].lower(), fault["faultstring"]
            assert httpx.get(f"{process.url}/v1").status_code == 200
    finally:
        if process is not None:
            process.kill()
        keystone.stop()
