"""``[image] backend = glance`` against a real Glance 33 behind a real Keystone: a tenant
uploads an image to Glance and deploys it through Mogan; what a tenant may use is Glance's to
say, read with the tenant's own token.

Images do not depend on Mogan's database here (the facts travel in the operation's state, the
same JSON on both), so these run on SQLite; Glance keeps its own on SQLite too.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mogan import conf as mogan_conf
from mogan.cloud.glance import Glance, facts
from mogan.cloud.image_cache import ImageCache
from mogan.core.errors import DriverError
from tests import conformance
from tests.databases import fresh_database
from tests.functional.process import MoganProcess
from tests.harness import Api, fault_of
from tests.peers.glance import GlanceServer
from tests.peers.keystone import SERVICE_PASSWORD, Account, KeystoneServer

pytestmark = [pytest.mark.functional, pytest.mark.backends("sqlite")]


@pytest.fixture(scope="module")
def glance(
    keystone: KeystoneServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GlanceServer]:
    server = GlanceServer(tmp_path_factory.mktemp("glance"), keystone).start()
    server.register()
    # Mogan copies tenants' images for BMCs with its own credentials: as Ironic's service
    # user, it needs Glance's admin role for private images (docs/operator-guide.md).
    keystone.grant("mogan", "service", "admin")
    yield server
    server.stop()


def _glance_options(keystone: KeystoneServer) -> dict[str, Any]:
    """Mogan's ``[glance]``: its service user; Glance found in Keystone's catalog."""
    return {
        "auth_type": "password",
        "auth_url": keystone.auth_url,
        "username": "mogan",
        "password": SERVICE_PASSWORD,
        "project_name": "service",
        "user_domain_id": "default",
        "project_domain_id": "default",
    }


@pytest.fixture
def mogan(keystone: KeystoneServer, glance: GlanceServer, tmp_path: Path) -> Iterator[MoganProcess]:
    with fresh_database("sqlite", str(tmp_path)) as url:
        process = MoganProcess(
            tmp_path,
            url,
            DEFAULT={"auth_strategy": "keystone", "enabled_drivers": "fake"},
            keystone_authtoken=keystone.authtoken_options(),
            image={"backend": "glance"},
            glance=_glance_options(keystone),
        ).start()
        yield process
        process.kill()


class TokenApi(Api):
    @property
    def admin(self) -> Api:
        return self


@pytest.fixture
def as_(mogan: MoganProcess, keystone: KeystoneServer) -> Iterator[Any]:
    with conformance.client(mogan.url, timeout=30) as http:

        def caller(account: Account) -> TokenApi:
            return TokenApi(http, {"X-Auth-Token": keystone.token(account)})

        yield caller


def _fleet(admin: Api) -> tuple[dict, dict]:
    for index in range(2):
        admin.enrol(f"node-{index}")
    return admin.make_type(), admin.make_network()


def test_a_tenant_deploys_and_rebuilds_from_its_own_glance_images(
    as_: Any, keystone: KeystoneServer, glance: GlanceServer
):
    admin, alice, bob = as_(keystone.ADMIN), as_(keystone.ALICE), as_(keystone.BOB)
    type_, network = _fleet(admin)
    alices = keystone.token(keystone.ALICE)
    first = glance.upload(alices, os.urandom(4096), name="alice-os")
    second = glance.upload(alices, os.urandom(2048), name="alice-os-2")

    # Alice lists what Glance lets her use; Bob does not see her (shared, unshared) images.
    listed = alice.get("/v1/images", params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    shown = {i["uuid"]: i for i in listed.json()["images"]}
    assert {first["id"], second["id"]} <= set(shown)
    assert shown[first["id"]]["source"] == "glance"
    assert shown[first["id"]]["checksum"] == f"sha512:{first['os_hash_value']}"
    assert shown[first["id"]]["owner"] == keystone.project_ids["project-a"]
    assert first["id"] not in {i["uuid"] for i in bob.get("/v1/images").json()["images"]}
    assert bob.get(f"/v1/images/{first['id']}").status_code == 404
    assert alice.get(f"/v1/images/{first['id']}").json()["disk_format"] == "raw"

    # Bob cannot deploy Alice's image: refused naming the field, nothing created or held.
    refused = bob.create(type_, {"uuid": first["id"]}, [{"net_id": network["uuid"]}])
    assert refused.status_code == 400, refused.text
    assert "'image_uuid'" in fault_of(refused)["faultstring"]
    assert bob.get("/v1/instances").json()["instances"] == []

    created = alice.create(type_, {"uuid": first["id"]}, [{"net_id": network["uuid"]}])
    assert created.status_code == 201, created.text
    instance = alice.wait_status(created.json()["uuid"], "active")
    assert instance["image_uuid"] == first["id"]

    rebuilt = alice.put(
        f"/v1/instances/{instance['uuid']}/states/provision",
        {"target": "rebuild", "image_uuid": second["id"]},
    )
    assert rebuilt.status_code == 202, rebuilt.text
    again = alice.wait_status(instance["uuid"], "active")
    assert again["image_uuid"] == second["id"]
    # Nor may Bob rebuild anything of his onto Alice's image (he has no instance: 404 first).
    assert (
        bob.put(
            f"/v1/instances/{instance['uuid']}/states/provision",
            {"target": "rebuild", "image_uuid": second["id"]},
        ).status_code
        == 404
    )

    # Images are Glance's: Mogan's own registry routes refuse to write (after policy).
    written = admin.post("/v1/images", {"name": "x", "url": "http://i/x", "disk_format": "raw"})
    assert written.status_code == 409 and "Glance" in fault_of(written)["faultstring"]
    assert alice.post("/v1/images", {"name": "x", "url": "http://i/x"}).status_code == 403


def test_an_image_a_deploy_cannot_use_is_refused_naming_its_field(
    as_: Any, keystone: KeystoneServer, glance: GlanceServer
):
    admin, alice = as_(keystone.ADMIN), as_(keystone.ALICE)
    type_, network = _fleet(admin)
    token = keystone.token(keystone.ALICE)
    headers = {"X-Auth-Token": token}
    with httpx.Client(base_url=glance.url, headers=headers, timeout=30) as api:
        queued = api.post(
            "/v2/images", json={"name": "empty", "disk_format": "raw", "container_format": "bare"}
        ).json()
        docker = api.post(
            "/v2/images", json={"name": "c", "disk_format": "raw", "container_format": "docker"}
        ).json()
    uploaded_docker = glance.upload(token, b"layer", name="docker", container_format="docker")
    for image, field in ((queued, "status"), (uploaded_docker, "container_format")):
        refused = alice.create(type_, {"uuid": image["id"]}, [{"net_id": network["uuid"]}])
        assert refused.status_code == 400, refused.text
        assert f"({field})" in fault_of(refused)["faultstring"]
    assert docker["status"] == "queued"
    missing = alice.create(
        type_, {"uuid": "6c5d2a4e-3b1f-4e8a-9c7d-1a2b3c4d5e6f"}, [{"net_id": network["uuid"]}]
    )
    assert missing.status_code == 400 and "was not found" in fault_of(missing)["faultstring"]
    assert alice.get("/v1/instances").json()["instances"] == []


def test_glance_down_refuses_a_create_cleanly_and_it_works_once_glance_is_back(
    as_: Any, keystone: KeystoneServer, glance: GlanceServer
):
    admin, alice = as_(keystone.ADMIN), as_(keystone.ALICE)
    type_, network = _fleet(admin)
    image = glance.upload(keystone.token(keystone.ALICE), b"os" * 100, name="outage")
    glance.stop()
    try:
        refused = alice.create(type_, {"uuid": image["id"]}, [{"net_id": network["uuid"]}])
        assert refused.status_code == 503, refused.text
        assert "Glance" in fault_of(refused)["faultstring"]
        assert alice.get("/v1/images").status_code == 503
        assert alice.get("/v1/instances").json()["instances"] == []
        usage = alice.get(f"/v1/quotas/{keystone.project_ids['project-a']}/usage").json()
        assert usage["instances"]["in_use"] == 0
    finally:
        glance.start()
    created = alice.create(type_, {"uuid": image["id"]}, [{"net_id": network["uuid"]}])
    assert created.status_code == 201, created.text
    alice.wait_status(created.json()["uuid"], "active")


def test_copies_for_bmcs_are_checked_against_glances_hash(
    keystone: KeystoneServer, glance: GlanceServer, tmp_path: Path
):
    """What the redfish driver's BMCs are given: Mogan's copy of a tenant's private image,
    downloaded with its service credentials once the tenant's token has shown the image is
    theirs to use, never served unless it matches Glance's hash."""
    data = os.urandom(64 * 1024)
    image = glance.upload(keystone.token(keystone.ALICE), data, name="private-os")
    options = "\n".join(f"{k} = {v}" for k, v in _glance_options(keystone).items())
    config = tmp_path / "mogan.conf"
    config.write_text(f"[image]\nbackend = glance\n[glance]\n{options}\n")
    conf = mogan_conf.load([str(config)])
    client = Glance(conf)
    cache_dir = tmp_path / "cache"
    cache = ImageCache(client, str(cache_dir), "http://bmc-net/images/", 1 << 20, in_use=set)
    url = cache.url_for(facts(image))
    name = url.rsplit("/", 1)[-1]
    assert url == f"http://bmc-net/images/{name}" and name.startswith(image["id"])
    assert hashlib.sha512((cache_dir / name).read_bytes()).digest() == hashlib.sha512(data).digest()
    assert cache.url_for(facts(image)) == url  # fetched once

    tampered = facts({**image, "os_hash_value": "0" * 128})
    with pytest.raises(DriverError, match="does not match"):
        cache.url_for(tampered)
    assert sorted(p.name for p in cache_dir.iterdir() if not p.name.startswith(".")) == [name]

    # Kept under its bound: the least recently used copy of an image no instance runs goes.
    small = ImageCache(client, str(cache_dir), "http://bmc-net/images", 100 * 1024, in_use=set)
    other = glance.upload(
        keystone.token(keystone.ADMIN), os.urandom(64 * 1024), name="other", visibility="public"
    )
    kept = small.url_for(facts(other)).rsplit("/", 1)[-1]
    assert sorted(p.name for p in cache_dir.iterdir() if not p.name.startswith(".")) == [kept]


def test_an_images_minimums_choose_the_node_and_refuse_what_no_node_holds(
    as_: Any, keystone: KeystoneServer, glance: GlanceServer
):
    admin, alice = as_(keystone.ADMIN), as_(keystone.ALICE)
    type_, network = _fleet(admin)  # two nodes of 65,536 MiB and 500 GiB
    big = admin.post(
        "/v1/nodes",
        {
            "name": "big",
            "driver": "fake",
            "properties": {"memory_mb": 262144, "local_gb": 4000},
            "resource_class": "baremetal",
            "availability_zone": "az1",
            "nics": [{"mac_address": "52:54:00:aa:bb:01", "port_type": "10GE"}],
        },
    )
    assert big.status_code == 201, big.text
    admin.wait_verified("big")
    token = keystone.token(keystone.ALICE)
    for field, minimums in (("min_ram", {"min_ram": 10**7}), ("min_disk", {"min_disk": 10**5})):
        image = glance.upload(token, b"huge", name=field, **minimums)
        refused = alice.create(type_, {"uuid": image["id"]}, [{"net_id": network["uuid"]}])
        assert refused.status_code == 400, refused.text
        assert f"({field})" in fault_of(refused)["faultstring"]
    assert alice.get("/v1/instances").json()["instances"] == []

    needs_big = glance.upload(token, b"big os", name="needs-big", min_ram=100000, min_disk=1000)
    created = alice.create(type_, {"uuid": needs_big["id"]}, [{"net_id": network["uuid"]}])
    assert created.status_code == 201, created.text
    uuid = alice.wait_status(created.json()["uuid"], "active")["uuid"]
    assert admin.get("/v1/nodes/big").json()["instance_uuid"] == uuid


def test_the_cli_deploys_a_glance_image_by_its_name(
    mogan: MoganProcess, as_: Any, keystone: KeystoneServer, glance: GlanceServer
):
    """``mogan instance create --image NAME``, as a tenant types it with Glance's name."""
    from tests.functional.test_cli import Cli

    type_, network = _fleet(as_(keystone.ADMIN))
    glance.upload(keystone.token(keystone.ALICE), b"cli os", name="alice-cli-os")
    keystone.register_endpoint(mogan.url)
    alice = Cli(keystone.environment(keystone.ALICE))
    names = [image["Name"] for image in alice.json("image", "list")]
    assert "alice-cli-os" in names
    created = alice.json(
        "instance", "create", "cli-1", "--type", type_["name"], "--image", "alice-cli-os",
        "--network", network["name"], "--wait",
    )  # fmt: skip
    assert created["status"] == "active"
    bob = Cli(keystone.environment(keystone.BOB))
    refused = bob(
        "instance", "create", "cli-2", "--type", type_["name"], "--image", "alice-cli-os",
        "--network", network["name"],
    )  # fmt: skip
    assert refused.returncode == 1  # Bob's Glance shows him no such image


def test_ironic_is_given_the_glance_image_as_nova_gives_it(
    keystone: KeystoneServer, glance: GlanceServer, tmp_path: Path
):
    """Ironic reads Glance itself: Mogan passes the image's id as ``image_source`` with its
    hash, as Nova's Ironic driver does (Ironic's fake deploy fetches nothing)."""
    from tests.peers.ironic import IronicServer

    ironic = IronicServer(tmp_path / "ironic").start()
    try:
        with fresh_database("sqlite", str(tmp_path)) as url:
            process = MoganProcess(
                tmp_path,
                url,
                DEFAULT={"auth_strategy": "keystone", "enabled_drivers": "ironic"},
                keystone_authtoken=keystone.authtoken_options(),
                image={"backend": "glance"},
                glance=_glance_options(keystone),
                ironic={"auth_type": "none", "endpoint_override": ironic.url,
                        "poll_interval": 0.1, "status_code_retries": 0},
                engine={"sync_inventory_interval": 0},
            ).start()  # fmt: skip
            try:
                with conformance.client(process.url, timeout=60) as http:
                    admin = TokenApi(http, {"X-Auth-Token": keystone.token(keystone.ADMIN)})
                    alice = TokenApi(http, {"X-Auth-Token": keystone.token(keystone.ALICE)})
                    ironic.enrol(1, properties={"cpus": 8, "local_gb": 200, "memory_mb": 8192})
                    assert admin.sync()["result"] == "success"
                    type_, network = admin.make_type(), admin.make_network()
                    image = glance.upload(keystone.token(keystone.ALICE), b"disk", name="ir")
                    created = alice.create(
                        type_, {"uuid": image["id"]}, [{"net_id": network["uuid"]}]
                    )
                    assert created.status_code == 201, created.text
                    alice.wait_status(created.json()["uuid"], "active", timeout=60)
            finally:
                process.kill()
        (node,) = ironic.nodes()
        info = node["instance_info"]
        assert info["image_source"] == image["id"]
        assert info["image_os_hash_algo"] == "sha512"
        assert info["image_os_hash_value"] == image["os_hash_value"]
        assert info["image_disk_format"] == "raw"
    finally:
        ironic.stop()
