"""``[network] backend = neutron`` against a real Neutron 29 behind a real Keystone: ML2 with
a flat provider network and networking-generic-switch's ``netmiko_fake`` switch, which
really binds baremetal ports. A tenant creates on Neutron's networks through Mogan's API only;
what Neutron then holds is read back from Neutron itself.

Mogan's ports are rows like any other (both databases read them alike), so these run on
SQLite, but for the outage, which splits the API and the engine into processes sharing
PostgreSQL.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import conformance
from tests.databases import fresh_database
from tests.functional.process import MoganProcess
from tests.harness import Api, fault_of
from tests.peers.glance import GlanceServer
from tests.peers.ironic import IronicServer
from tests.peers.keystone import (
    PASSWORD,
    SERVICE_PASSWORD,
    TOKEN_LIFETIME,
    Account,
    KeystoneServer,
)
from tests.peers.neutron import SWITCH_MAC, SWITCH_NAME, NeutronServer
from tests.peers.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.functional, pytest.mark.backends("sqlite")]

_MACS = itertools.count(1)


@pytest.fixture(scope="module")
def neutron(
    keystone: KeystoneServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NeutronServer]:
    server = NeutronServer(tmp_path_factory.mktemp("neutron"), keystone)
    try:
        server.start().register()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def provider(neutron: NeutronServer) -> dict:
    """The shared flat network every tenant may use."""
    return neutron.provider_network()


def _service_user(keystone: KeystoneServer, **extra: Any) -> dict[str, Any]:
    """Mogan's ``[neutron]`` (and ``[glance]``): its service user (``service`` role, which
    Neutron asks of whoever sets ``binding:profile``); the peer found in Keystone's catalog."""
    return {
        "auth_type": "password",
        "auth_url": keystone.auth_url,
        "username": "mogan",
        "password": SERVICE_PASSWORD,
        "project_name": "service",
        "user_domain_id": "default",
        "project_domain_id": "default",
        **extra,
    }


def _mogan(
    workdir: Path, url: str, keystone: KeystoneServer, *, driver: str = "fake", **sections: Any
) -> MoganProcess:
    network = {"backend": "neutron", "retries": 1, "retry_interval": 0.2}
    return MoganProcess(
        workdir,
        url,
        DEFAULT={"auth_strategy": "keystone", "enabled_drivers": driver},
        keystone_authtoken=keystone.authtoken_options(),
        **{
            "neutron": _service_user(keystone),
            **sections,
            "network": {**network, **sections.get("network", {})},
        },
    )


@pytest.fixture
def mogan(
    keystone: KeystoneServer, neutron: NeutronServer, tmp_path: Path
) -> Iterator[MoganProcess]:
    with fresh_database("sqlite", str(tmp_path)) as url:
        process = _mogan(tmp_path, url, keystone).start()
        yield process
        process.kill()


class TokenApi(Api):
    """A Keystone user's calls, with a token renewed before Keystone's short-lived test
    tokens expire (a test here outlives one)."""

    def __init__(self, http: httpx.Client, keystone: KeystoneServer, account: Account) -> None:
        self._keystone, self._account, self._since = keystone, account, 0.0
        super().__init__(http, {})

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if time.monotonic() - self._since > TOKEN_LIFETIME / 2:
            self.headers = {"X-Auth-Token": self._keystone.token(self._account)}
            self._since = time.monotonic()
        return super().request(method, path, **kwargs)

    @property
    def admin(self) -> Api:
        return self


@pytest.fixture
def as_(mogan: MoganProcess, keystone: KeystoneServer) -> Iterator[Any]:
    with conformance.client(mogan.url, timeout=30) as http:

        def caller(account: Account) -> TokenApi:
            return TokenApi(http, keystone, account)

        yield caller


def _enrol(admin: Api, name: str, *, cabled: bool = True, nics: int = 2) -> dict:
    """A fake node whose NICs are cabled to the fake switch (``local_link_connection``)."""
    body = {
        "name": name,
        "driver": "fake",
        "properties": {"cpus": 8, "memory_mb": 65536, "local_gb": 500},
        "resource_class": "baremetal",
        "availability_zone": "az1",
        "nics": [
            {
                "mac_address": _mac(next(_MACS)),
                "port_type": "10GE",
                **(
                    {
                        "local_link_connection": {
                            "switch_id": SWITCH_MAC,
                            "port_id": f"Gi1/0/{index + 1}",
                            "switch_info": SWITCH_NAME,
                        }
                    }
                    if cabled
                    else {}
                ),
            }
            for index in range(nics)
        ],
    }
    created = admin.post("/v1/nodes", body)
    assert created.status_code == 201, created.text
    return admin.wait_verified(created.json()["uuid"])


def _mac(number: int) -> str:
    """A MAC no other test's NIC has (Neutron refuses a MAC twice on one network, and this
    module shares one Neutron)."""
    return "52:54:00:" + ":".join(f"{(number >> shift) & 0xFF:02x}" for shift in (16, 8, 0))


def _fleet(admin: Api, nodes: int = 1, **kwargs: Any) -> tuple[dict, dict, list[dict]]:
    enrolled = [_enrol(admin, f"node-{i}", **kwargs) for i in range(nodes)]
    return admin.make_type(), admin.make_image(), enrolled


def test_a_tenant_creates_on_neutron_and_neutron_holds_a_bound_port_with_the_nics_mac(
    as_: Any, keystone: KeystoneServer, neutron: NeutronServer, provider: dict
):
    admin, alice, bob = as_(keystone.ADMIN), as_(keystone.ALICE), as_(keystone.BOB)
    type_, image, (node,) = _fleet(admin)
    private = neutron.admin(
        "POST",
        "/v2.0/networks",
        json={
            "network": {
                "name": "bob-only",
                "project_id": keystone.project_ids["project-b"],
                "provider:network_type": "flat",
                "provider:physical_network": "physnet-b",
            }
        },
    )["network"]

    # Alice lists what Neutron lets her use: the shared network, not Bob's own.
    listed = alice.get("/v1/networks")
    assert listed.status_code == 200, listed.text
    shown = {n["uuid"]: n for n in listed.json()["networks"]}
    assert provider["id"] in shown and private["id"] not in shown
    assert shown[provider["id"]]["source"] == "neutron" and shown[provider["id"]]["shared"]
    assert shown[provider["id"]]["subnets"][0]["cidr"] == "192.0.2.0/24"
    assert private["id"] in {n["uuid"] for n in bob.get("/v1/networks").json()["networks"]}
    assert alice.get(f"/v1/networks/{private['id']}").status_code == 404

    # Bob's network is not Alice's to use: refused naming the field, nothing made anywhere.
    refused = alice.create(type_, image, [{"net_id": private["id"]}])
    assert refused.status_code == 400, refused.text
    assert "'networks.0.net_id'" in fault_of(refused)["faultstring"]
    assert alice.get("/v1/instances").json()["instances"] == []

    created = alice.create(type_, image, [{"net_id": provider["id"]}])
    assert created.status_code == 201, created.text
    instance = alice.wait_status(created.json()["uuid"], "active")

    (port,) = neutron.ports(device_id=instance["uuid"])
    assert port["binding:vif_type"] == "other" and port["status"] == "ACTIVE"
    assert port["binding:host_id"] == node["uuid"]
    assert port["binding:vnic_type"] == "baremetal"
    assert port["binding:profile"]["local_link_information"] == [
        {"switch_id": SWITCH_MAC, "port_id": "Gi1/0/1", "switch_info": SWITCH_NAME}
    ]
    assert port["project_id"] == keystone.project_ids["project-a"]
    assert port["mac_address"] == node["nics"][0]["mac_address"]
    # What Mogan shows is what Neutron holds.
    assert instance["network_info"] == {
        port["id"]: {
            "network": provider["id"],
            "mac_address": port["mac_address"],
            "fixed_ips": port["fixed_ips"],
        }
    }
    actions = alice.get(f"/v1/instances/{instance['uuid']}/actions").json()["actions"]
    detail = alice.get(
        f"/v1/instances/{instance['uuid']}/actions/{actions[0]['request_id']}"
    ).json()
    assert any(
        e["event"] == "network" and port["fixed_ips"][0]["ip_address"] in (e["details"] or "")
        for e in detail["events"]
    )

    # Networks are Neutron's: Mogan's own registry routes refuse writes (after policy).
    body = {"name": "x", "subnets": [{"cidr": "10.0.0.0/24"}]}
    written = admin.post("/v1/networks", body)
    assert written.status_code == 409 and "Neutron" in fault_of(written)["faultstring"]
    assert alice.post("/v1/networks", body).status_code == 403

    assert alice.delete(f"/v1/instances/{instance['uuid']}").status_code == 204
    alice.wait_gone(instance["uuid"])
    assert neutron.ports(device_id=instance["uuid"]) == []
    assert [p for p in neutron.ports() if p["id"] == port["id"]] == []


def test_a_port_the_tenant_gave_is_used_and_given_back_unbound(
    as_: Any, keystone: KeystoneServer, neutron: NeutronServer, provider: dict
):
    admin, alice, bob = as_(keystone.ADMIN), as_(keystone.ALICE), as_(keystone.BOB)
    type_, image, _ = _fleet(admin, nodes=2)
    alices = keystone.token(keystone.ALICE)
    given = neutron.request(
        alices, "POST", "/v2.0/ports", json={"port": {"network_id": provider["id"]}}
    )["port"]
    address = given["fixed_ips"][0]["ip_address"]

    # Bob cannot use Alice's port; nor give one port to two instances.
    stolen = bob.create(type_, image, [{"port_id": given["id"]}])
    assert stolen.status_code == 400 and "'networks.0.port_id'" in fault_of(stolen)["faultstring"]
    twice = alice.create(type_, image, [{"port_id": given["id"]}], max_count=2)
    assert twice.status_code == 400, twice.text

    created = alice.create(type_, image, [{"port_id": given["id"]}])
    assert created.status_code == 201, created.text
    instance = alice.wait_status(created.json()["uuid"], "active")
    taken = neutron.admin("GET", f"/v2.0/ports/{given['id']}")["port"]
    assert taken["device_id"] == instance["uuid"]
    assert taken["binding:vif_type"] == "other" and taken["status"] == "ACTIVE"
    assert taken["mac_address"] == instance["network_info"][given["id"]]["mac_address"]
    assert instance["network_info"][given["id"]]["fixed_ips"][0]["ip_address"] == address

    # A port in use is refused with 409, as Nova does, and nothing is made.
    again = alice.create(type_, image, [{"port_id": given["id"]}])
    assert again.status_code == 409, again.text
    assert len(alice.get("/v1/instances").json()["instances"]) == 1

    assert alice.delete(f"/v1/instances/{instance['uuid']}").status_code == 204
    alice.wait_gone(instance["uuid"])
    kept = neutron.admin("GET", f"/v2.0/ports/{given['id']}")["port"]
    assert kept["device_id"] == "" and kept["device_owner"] == ""
    assert kept["binding:host_id"] == "" and kept["binding:vif_type"] == "unbound"
    assert kept["fixed_ips"][0]["ip_address"] == address


def test_a_fixed_ip_and_security_groups_pass_through_to_the_port(
    as_: Any, keystone: KeystoneServer, neutron: NeutronServer, provider: dict
):
    admin, alice = as_(keystone.ADMIN), as_(keystone.ALICE)
    type_, image, _ = _fleet(admin)
    alices = keystone.token(keystone.ALICE)
    group = neutron.request(
        alices, "POST", "/v2.0/security-groups", json={"security_group": {"name": "web"}}
    )["security_group"]

    outside = alice.create(type_, image, [{"net_id": provider["id"], "fixed_ip": "10.9.9.9"}])
    assert outside.status_code == 400
    assert "'networks.0.fixed_ip'" in fault_of(outside)["faultstring"]
    unknown = alice.create(
        type_, image, [{"net_id": provider["id"]}], security_groups=[{"name": "nope"}]
    )
    assert unknown.status_code == 400
    assert "'security_groups.0.name'" in fault_of(unknown)["faultstring"]

    created = alice.create(
        type_,
        image,
        [{"net_id": provider["id"], "fixed_ip": "192.0.2.77"}],
        security_groups=[{"name": "web"}],
    )
    assert created.status_code == 201, created.text
    instance = alice.wait_status(created.json()["uuid"], "active")
    (port,) = neutron.ports(device_id=instance["uuid"])
    assert port["fixed_ips"][0]["ip_address"] == "192.0.2.77"
    assert port["security_groups"] == [group["id"]]


def test_a_port_neutron_cannot_bind_fails_the_create_and_leaves_no_port(
    as_: Any, keystone: KeystoneServer, neutron: NeutronServer, provider: dict
):
    """A NIC nobody cabled to a switch: genericswitch cannot bind the port, the create ends
    with a fault saying what to do, and the port Mogan made is gone again."""
    admin, alice = as_(keystone.ADMIN), as_(keystone.ALICE)
    type_, image, (node,) = _fleet(admin, cabled=False)
    created = alice.create(type_, image, [{"net_id": provider["id"]}])
    assert created.status_code == 201, created.text
    failed = alice.wait_status(created.json()["uuid"], "error")
    assert "local_link_connection" in failed["fault"]["message"], failed["fault"]
    assert neutron.ports(device_id=failed["uuid"]) == []
    assert admin.get(f"/v1/nodes/{node['uuid']}").json()["provision_state"] == "available"


@pytest.mark.backends("postgresql")
def test_neutron_down_mid_create_is_the_instances_fault_and_no_port_is_left(
    keystone: KeystoneServer,
    neutron: NeutronServer,
    provider: dict,
    pg_url: str,
    tmp_path: Path,
):
    """The API reaches Neutron; the engine, in a process of its own, loses it: the create
    ends in ``error`` with a fault naming Neutron, the node is free again, and once Neutron
    is back the instance deletes leaving no port."""
    proxy = TcpProxy("127.0.0.1", neutron.port).start()
    api = _mogan(tmp_path, pg_url, keystone, command="api").start()
    engine = _mogan(
        tmp_path,
        pg_url,
        keystone,
        command="engine",
        neutron=_service_user(keystone, endpoint_override=f"http://127.0.0.1:{proxy.port}"),
    ).start()
    try:
        with conformance.client(api.url, timeout=30) as http:
            admin = TokenApi(http, keystone, keystone.ADMIN)
            alice = TokenApi(http, keystone, keystone.ALICE)
            type_, image, (node,) = _fleet(admin)
            proxy.cut()
            created = alice.create(type_, image, [{"net_id": provider["id"]}])
            assert created.status_code == 201, created.text
            failed = alice.wait_status(created.json()["uuid"], "error", timeout=60)
            assert "Neutron" in failed["fault"]["message"], failed["fault"]
            assert admin.get(f"/v1/nodes/{node['uuid']}").json()["provision_state"] == "available"

            proxy.restore()
            assert alice.delete(f"/v1/instances/{failed['uuid']}").status_code == 204
            alice.wait_gone(failed["uuid"], timeout=60)
            assert neutron.ports(device_id=failed["uuid"]) == []
    finally:
        engine.kill()
        api.kill()
        proxy.stop()


def test_an_interface_attached_and_detached_shows_in_neutron_and_in_mogan(
    as_: Any, keystone: KeystoneServer, neutron: NeutronServer, provider: dict
):
    admin, alice = as_(keystone.ADMIN), as_(keystone.ALICE)
    type_, image, (node,) = _fleet(admin)
    created = alice.create(type_, image, [{"net_id": provider["id"]}])
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    alice.wait_status(uuid, "active")

    attached = alice.post(f"/v1/instances/{uuid}/networks/interfaces", {"net_id": provider["id"]})
    assert attached.status_code == 202, attached.text
    grown = alice.wait_for(uuid, lambda i: len(i["network_info"]) == 2, what="two ports")
    in_neutron = {p["id"]: p for p in neutron.ports(device_id=uuid)}
    assert set(in_neutron) == set(grown["network_info"])
    second = next(
        p
        for p in in_neutron.values()
        if p["binding:profile"]["local_link_information"][0]["port_id"] == "Gi1/0/2"
    )
    assert second["mac_address"] == node["nics"][1]["mac_address"]
    assert second["status"] == "ACTIVE" and second["binding:host_id"] == node["uuid"]
    assert grown["network_info"][second["id"]]["fixed_ips"] == second["fixed_ips"]

    full = alice.post(f"/v1/instances/{uuid}/networks/interfaces", {"net_id": provider["id"]})
    assert full.status_code == 409, full.text

    detached = alice.delete(f"/v1/instances/{uuid}/networks/interfaces/{second['id']}")
    assert detached.status_code == 202, detached.text
    alice.wait_for(
        uuid, lambda i: second["id"] not in i["network_info"], what="one port", timeout=60
    )
    assert [p["id"] for p in neutron.ports(device_id=uuid)] == [
        p for p in in_neutron if p != second["id"]
    ]
    assert [p for p in neutron.ports() if p["id"] == second["id"]] == []


def test_on_ironic_mogan_attaches_the_ports_as_vifs_and_ironic_binds_them(
    keystone: KeystoneServer, neutron: NeutronServer, provider: dict, tmp_path: Path
):
    """As under Nova: Mogan makes each port and attaches it as a VIF to the Ironic port of the
    NIC it claimed; Ironic's ``flat`` network interface writes the binding (at deploy its
    host, on an active node the whole ``local_link_information`` from its own port's
    ``local_link_connection``) and genericswitch binds it. Mogan writes no binding here."""
    ironic = IronicServer(tmp_path / "ironic", neutron=neutron).start()
    try:
        with fresh_database("sqlite", str(tmp_path)) as url:
            process = _mogan(
                tmp_path,
                url,
                keystone,
                driver="ironic",
                ironic={"auth_type": "none", "endpoint_override": ironic.url,
                        "poll_interval": 0.1, "status_code_retries": 0},
                engine={"sync_inventory_interval": 0},
            ).start()  # fmt: skip
            try:
                with conformance.client(process.url, timeout=60) as http:
                    _ironic_day(TokenApi(http, keystone, keystone.ADMIN),
                                TokenApi(http, keystone, keystone.ALICE),
                                ironic, neutron, provider)  # fmt: skip
            finally:
                process.kill()
    finally:
        ironic.stop()


def _ironic_day(
    admin: Api, alice: Api, ironic: IronicServer, neutron: NeutronServer, provider: dict
) -> None:
    (node,) = ironic.enrol(1, nics=2, cabled=True, network_interface="flat")
    cabling = {p["uuid"]: p for p in ironic.ports(node["uuid"])}
    assert admin.sync()["result"] == "success"
    # Mogan's NICs are Ironic's ports, switch data and all.
    nics = admin.get(f"/v1/nodes/{node['uuid']}").json()["nics"]
    assert {n["mac_address"]: n["local_link_connection"] for n in nics} == {
        p["address"]: p["local_link_connection"] for p in cabling.values()
    }

    created = alice.create(admin.make_type(), admin.make_image(), [{"net_id": provider["id"]}])
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    alice.wait_status(uuid, "active", timeout=60)
    (first,) = neutron.ports(device_id=uuid)
    assert ironic.vifs(node["uuid"]) == [first["id"]]
    (holder,) = [
        p for p in ironic.ports(node["uuid"])
        if p["internal_info"].get("tenant_vif_port_id") == first["id"]
    ]  # fmt: skip
    assert first["mac_address"] == holder["address"]
    # Ironic seeded the binding with its node (fake deploys bind no further).
    assert first["binding:host_id"] == node["uuid"]
    assert first["binding:vnic_type"] == "baremetal"

    # On an active node Ironic binds an attached VIF whole, and genericswitch takes it.
    attached = alice.post(f"/v1/instances/{uuid}/networks/interfaces", {"net_id": provider["id"]})
    assert attached.status_code == 202, attached.text
    # Ironic binds the port through Neutron within its API call: seconds on a loaded machine.
    alice.wait_for(uuid, lambda i: len(i["network_info"]) == 2, what="two ports", timeout=60)
    (second,) = [p for p in neutron.ports(device_id=uuid) if p["id"] != first["id"]]
    assert sorted(ironic.vifs(node["uuid"])) == sorted([first["id"], second["id"]])
    (other,) = [p for p in cabling.values() if p["uuid"] != holder["uuid"]]
    assert second["mac_address"] == other["address"]
    assert second["binding:host_id"] == node["uuid"]
    assert second["binding:profile"]["local_link_information"] == [other["local_link_connection"]]
    assert second["binding:vif_type"] == "other" and second["status"] == "ACTIVE"

    detached = alice.delete(f"/v1/instances/{uuid}/networks/interfaces/{second['id']}")
    assert detached.status_code == 202, detached.text
    alice.wait_for(
        uuid, lambda i: second["id"] not in i["network_info"], what="one port", timeout=60
    )
    assert ironic.vifs(node["uuid"]) == [first["id"]]
    assert [p for p in neutron.ports() if p["id"] == second["id"]] == []

    assert alice.delete(f"/v1/instances/{uuid}").status_code == 204
    alice.wait_gone(uuid, timeout=60)
    assert ironic.vifs(node["uuid"]) == []
    assert neutron.ports(device_id=uuid) == []
    assert ironic.node(node["uuid"])["provision_state"] == "available"


@pytest.fixture(scope="module")
def public(neutron: NeutronServer, provider: dict) -> dict:
    """An external network routed to the provider network: where floating IPs come from."""
    network = neutron.admin(
        "POST",
        "/v2.0/networks",
        json={
            "network": {
                "name": "public",
                "router:external": True,
                "provider:network_type": "flat",
                "provider:physical_network": "physnet-public",
            }
        },
    )["network"]
    neutron.admin(
        "POST",
        "/v2.0/subnets",
        json={"subnet": {"network_id": network["id"], "ip_version": 4, "cidr": "203.0.113.0/24"}},
    )
    router = neutron.admin(
        "POST",
        "/v2.0/routers",
        json={"router": {"name": "edge", "external_gateway_info": {"network_id": network["id"]}}},
    )["router"]
    neutron.admin(
        "PUT",
        f"/v2.0/routers/{router['id']}/add_router_interface",
        json={
            "subnet_id": neutron.admin("GET", f"/v2.0/networks/{provider['id']}")["network"][
                "subnets"
            ][0]
        },
    )
    return dict(network)


def test_a_floating_ip_associated_shows_on_the_port_and_in_the_instances_addresses(
    as_: Any, keystone: KeystoneServer, neutron: NeutronServer, provider: dict, public: dict
):
    admin, alice, bob = as_(keystone.ADMIN), as_(keystone.ALICE), as_(keystone.BOB)
    type_, image, _ = _fleet(admin)
    alices, bobs = keystone.token(keystone.ALICE), keystone.token(keystone.BOB)
    mine = neutron.request(
        alices,
        "POST",
        "/v2.0/floatingips",
        json={"floatingip": {"floating_network_id": public["id"]}},
    )["floatingip"]
    his = neutron.request(
        bobs,
        "POST",
        "/v2.0/floatingips",
        json={"floatingip": {"floating_network_id": public["id"]}},
    )["floatingip"]
    created = alice.create(type_, image, [{"net_id": provider["id"]}])
    assert created.status_code == 201, created.text
    instance = alice.wait_status(created.json()["uuid"], "active")
    (port_id,) = instance["network_info"]
    path = f"/v1/instances/{instance['uuid']}/networks/floatingips"

    # Bob's floating IP is not Alice's to use; Bob cannot touch Alice's instance.
    stolen = alice.post(path, {"address": his["floating_ip_address"]})
    assert stolen.status_code == 400 and "'address'" in fault_of(stolen)["faultstring"]
    assert bob.post(path, {"address": his["floating_ip_address"]}).status_code == 404

    associated = alice.post(path, {"address": mine["floating_ip_address"]})
    assert associated.status_code == 204, associated.text
    in_neutron = neutron.admin("GET", f"/v2.0/floatingips/{mine['id']}")["floatingip"]
    assert in_neutron["port_id"] == port_id
    fixed = instance["network_info"][port_id]["fixed_ips"][0]["ip_address"]
    assert in_neutron["fixed_ip_address"] == fixed
    shown = alice.get(f"/v1/instances/{instance['uuid']}").json()["addresses"][provider["id"]]
    assert [(a["addr"], a["OS-EXT-IPS:type"]) for a in shown] == [
        (fixed, "fixed"),
        (mine["floating_ip_address"], "floating"),
    ]

    gone = alice.delete(f"{path}/{mine['floating_ip_address']}")
    assert gone.status_code == 204, gone.text
    assert neutron.admin("GET", f"/v2.0/floatingips/{mine['id']}")["floatingip"]["port_id"] is None
    shown = alice.get(f"/v1/instances/{instance['uuid']}").json()["addresses"][provider["id"]]
    assert [a["OS-EXT-IPS:type"] for a in shown] == ["fixed"]
    assert alice.delete(f"{path}/{mine['floating_ip_address']}").status_code == 404


def test_the_port_audit_puts_right_ports_of_instances_mogan_no_longer_has(
    keystone: KeystoneServer, neutron: NeutronServer, provider: dict, tmp_path: Path
):
    """Ports wired to an instance Mogan has never heard of (a database restored from an
    older backup): the one Mogan made is deleted, the tenant's is given back unbound, and a
    live instance's port is left alone; each is reported in the log."""
    with fresh_database("sqlite", str(tmp_path)) as url:
        process = _mogan(tmp_path, url, keystone, network={"audit_interval": 0.5}).start()
        try:
            with conformance.client(process.url, timeout=30) as http:
                admin = TokenApi(http, keystone, keystone.ADMIN)
                alice = TokenApi(http, keystone, keystone.ALICE)
                type_, image, _ = _fleet(admin)
                created = alice.create(type_, image, [{"net_id": provider["id"]}])
                assert created.status_code == 201, created.text
                live = alice.wait_status(created.json()["uuid"], "active")

                ghost = "0b9f0b52-5d0e-4a55-9a57-0d6f1c3e2b1a"
                project = keystone.project_ids["project-a"]

                def leftover(description: str) -> dict:
                    body = {
                        "network_id": provider["id"],
                        "project_id": project,
                        "device_id": ghost,
                        "device_owner": "compute:mogan",
                        "description": description,
                    }
                    return neutron.admin("POST", "/v2.0/ports", json={"port": body})["port"]

                made = leftover(f"Made by Mogan for instance {ghost}: deleted with it.")
                given = leftover("alice's own")
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    ids = {p["id"] for p in neutron.ports(device_id=ghost)}
                    if not ids:
                        break
                    time.sleep(0.2)
                assert neutron.ports(device_id=ghost) == []
                assert [p for p in neutron.ports() if p["id"] == made["id"]] == []
                kept = neutron.admin("GET", f"/v2.0/ports/{given['id']}")["port"]
                assert kept["device_owner"] == "" and kept["project_id"] == project
                assert len(neutron.ports(device_id=live["uuid"])) == 1
                log = process.log_path.read_text()
                assert f"Neutron port {made['id']} (project {project}) was wired to instance" in log
                assert f"Neutron port {given['id']}" in log
        finally:
            process.kill()


def test_a_tenants_day_on_glance_and_neutron_with_the_cli(
    keystone: KeystoneServer,
    neutron: NeutronServer,
    provider: dict,
    public: dict,
    tmp_path: Path,
):
    """The user guide's day, with today's CLI unchanged, on a Mogan inside OpenStack: upload
    an image to Glance, create from it by name on a network named as Neutron names it, attach
    a second interface, give it a floating IP, take both off, delete. Then the same Mogan
    serves the 2017 client's requests."""
    glance = GlanceServer(tmp_path / "glance", keystone).start()
    try:
        glance.register()
        with fresh_database("sqlite", str(tmp_path)) as url:
            process = _mogan(
                tmp_path,
                url,
                keystone,
                image={"backend": "glance"},
                glance=_service_user(keystone),
            ).start()
            try:
                with conformance.client(process.url, timeout=30) as http:
                    admin = TokenApi(http, keystone, keystone.ADMIN)
                    api = TokenApi(http, keystone, keystone.ALICE)
                    _tenants_day(process, admin, api, keystone, glance, neutron, public)
                    _the_2017_clients_day(process, api, keystone, neutron, provider)
            finally:
                process.kill()
    finally:
        glance.stop()


def _tenants_day(
    mogan: MoganProcess,
    admin: Api,
    api: Api,
    keystone: KeystoneServer,
    glance: GlanceServer,
    neutron: NeutronServer,
    public: dict,
) -> None:
    from tests.functional.test_cli import Cli

    for index in range(2):
        _enrol(admin, f"node-{index}")
    type_ = admin.make_type()
    glance.upload(keystone.token(keystone.ALICE), b"alice's os", name="alice-os")
    keystone.register_endpoint(mogan.url)
    alice = Cli(keystone.environment(keystone.ALICE))
    assert "alice-os" in [i["Name"] for i in alice.json("image", "list")]
    assert "provider" in [n["Name"] for n in alice.json("network", "list")]
    created = alice.json(
        "instance", "create", "day-1", "--type", type_["name"], "--image", "alice-os",
        "--network", "provider", "--wait",
    )  # fmt: skip
    assert created["status"] == "active"
    uuid = created["uuid"]
    before = api.get(f"/v1/instances/{uuid}").json()["network_info"]

    assert alice("instance", "interface", "add", "day-1", "provider").returncode == 0
    grown = api.wait_for(uuid, lambda i: len(i["network_info"]) == 2, what="two ports")
    assert len(neutron.ports(device_id=uuid)) == 2

    floating = neutron.request(
        keystone.token(keystone.ALICE),
        "POST",
        "/v2.0/floatingips",
        json={"floatingip": {"floating_network_id": public["id"]}},
    )["floatingip"]["floating_ip_address"]
    assert alice("instance", "floating-ip", "add", "day-1", floating).returncode == 0
    shown = alice.json("instance", "show", "day-1")
    assert floating in shown["addresses"]

    assert alice("instance", "floating-ip", "remove", "day-1", floating).returncode == 0
    second = next(p for p in grown["network_info"] if p not in before)
    assert alice("instance", "interface", "remove", "day-1", second).returncode == 0
    api.wait_for(uuid, lambda i: len(i["network_info"]) == 1, what="one port")
    assert floating not in alice.json("instance", "show", "day-1")["addresses"]
    (uploaded,) = [i for i in alice.json("image", "list") if i["Name"] == "alice-os"]
    assert api.get(f"/v1/instances/{uuid}").json()["image_uuid"] == uploaded["UUID"]

    assert alice("instance", "delete", "day-1").returncode == 0
    api.wait_gone(uuid)
    assert neutron.ports(device_id=uuid) == []


def _the_2017_clients_day(
    mogan: MoganProcess,
    api: Api,
    keystone: KeystoneServer,
    neutron: NeutronServer,
    provider: dict,
) -> None:
    """The requests python-nimbleclient (January 2017, ``openstack baremetal server …``)
    makes, as it makes them: Mogan found in the catalog under the type of its day
    (``baremetal_compute``), unversioned paths, ``instance_type_uuid`` and ``net_id``; the
    fields its list and show print read back. The client itself is not on PyPI (its source at
    the last ``nimbleclient`` commit, 2494e11, was run against this set-up by hand: the
    lookups and the create below are copied from its ``--debug`` log, the later calls from its
    source, whose commands all succeeded against this set-up)."""
    from keystoneauth1 import session as ksession
    from keystoneauth1.identity import v3

    keystone.register_service("baremetal_compute", "mogan-2017", mogan.url)
    auth = v3.Password(
        auth_url=keystone.auth_url,
        username=keystone.ALICE.user,
        password=PASSWORD,
        project_name=keystone.ALICE.project,
        user_domain_id="default",
        project_domain_id="default",
    )
    client = ksession.Session(auth=auth, user_agent="python-nimbleclient")
    endpoint = client.get_endpoint(service_type="baremetal_compute", interface="public")
    assert endpoint.rstrip("/") == mogan.url.rstrip("/")

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return client.request(endpoint + path, method, raise_exc=False, **kwargs)

    # ``--flavor NAME`` and ``--image NAME``: the whole list, matched by name, as osc-lib's
    # find_resource does (the image from Glance, through the catalog's ``image``).
    (flavor,) = [t for t in call("GET", "/types").json()["types"] if t["name"] == "bm.small"]
    images = client.get("/v2/images", endpoint_filter={"service_type": "image"}).json()
    (image,) = [i for i in images["images"] if i["name"] == "alice-os"]
    body = {
        "name": "old-1",
        "image_uuid": image["id"],
        "instance_type_uuid": flavor["uuid"],
        "networks": [{"net_id": provider["id"]}],
    }
    created = call("POST", "/instances", json=body)
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active", timeout=60)

    # ``server list --detailed``'s columns, its network formatter reading fixed_ips.
    (listed,) = [
        i for i in call("GET", "/instances/detail").json()["instances"] if i["uuid"] == uuid
    ]
    for column in ("name", "instance_type_uuid", "status", "image_uuid", "availability_zone"):
        assert column in listed
    ((port_id, port),) = listed["network_info"].items()
    (neutron_port,) = neutron.ports(device_id=uuid)
    assert port_id == neutron_port["id"]
    assert [f["ip_address"] for f in port["fixed_ips"]] == [
        f["ip_address"] for f in neutron_port["fixed_ips"]
    ]

    # ``server power --power-state off``, ``server update --description``, ``availability
    # zone list``, ``server delete``.
    assert call("PUT", f"/instances/{uuid}/states/power", json={"target": "off"}).status_code == 202
    api.wait_for(uuid, lambda i: i["power_state"] == "power off", what="powered off")
    patch = [{"op": "replace", "path": "/description", "value": "new"}]
    assert call("PATCH", f"/instances/{uuid}", json=patch).json()["description"] == "new"
    assert call("GET", "/availability_zones").json()["availability_zones"]
    assert call("DELETE", f"/instances/{uuid}").status_code == 204
    api.wait_gone(uuid)
    assert neutron.ports(device_id=uuid) == []
