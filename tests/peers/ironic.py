"""A real, standalone OpenStack Ironic for tests: its own virtualenv, its own database, one
``ironic`` process (API + conductor) on a free loopback port.

The virtualenv is built once per machine (see ``tests.peers.venv``) and reused; it is kept
apart from Mogan's environment because Ironic pins its own versions of half of OpenStack. A
start that does not answer within the timeout fails loudly with the tail of Ironic's log: with
a bad driver configuration Ironic neither listens nor exits nor obeys SIGTERM, so the whole
process group is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.functional.process import free_port
from tests.peers.neutron import PHYSNET, PROVIDER, SWITCH_MAC, SWITCH_NAME, NeutronServer
from tests.peers.venv import PeerFailed, peer_virtualenv

#: Pinned so a cached virtualenv stays what the tests were written against.
IRONIC_REQUIREMENTS = ("ironic==39.0.0", "openstacksdk==4.22.0")
API_VERSION = "latest"

FAKE_INTERFACES = """\
enabled_hardware_types = fake-hardware
enabled_boot_interfaces = fake
enabled_deploy_interfaces = fake,ramdisk
enabled_management_interfaces = fake
enabled_power_interfaces = fake
default_deploy_interface = fake
default_boot_interface = fake
"""

#: ``redfish`` beside ``fake-hardware``; no ``default_*_interface`` lines, or the conductor
#: fails to start (see REAL-PEERS.md).
REDFISH_INTERFACES = """\
enabled_hardware_types = fake-hardware,redfish
enabled_boot_interfaces = fake,redfish-virtual-media
enabled_deploy_interfaces = fake,ramdisk
enabled_management_interfaces = fake,redfish
enabled_power_interfaces = fake,redfish
"""


class IronicServer:
    """One standalone Ironic. ``start`` again after ``stop`` keeps its database."""

    def __init__(
        self,
        workdir: Path,
        *,
        redfish: bool = False,
        http_root: Path | None = None,
        http_url: str | None = None,
        automated_clean: bool = False,
        neutron: NeutronServer | None = None,
    ) -> None:
        self.workdir = workdir / f"ironic-{uuid.uuid4().hex[:6]}"
        self.automated_clean = automated_clean
        self.neutron = neutron
        self.workdir.mkdir(parents=True)
        self.venv = peer_virtualenv("ironic", IRONIC_REQUIREMENTS)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = self.workdir / "ironic.conf"
        self.log_path = self.workdir / "ironic.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._ports_made = 0  # MAC addresses are unique in Ironic
        self._write_config(redfish, http_root, http_url)
        self._create_schema()

    def _write_config(self, redfish: bool, http_root: Path | None, http_url: str | None) -> None:
        interfaces = REDFISH_INTERFACES if redfish else FAKE_INTERFACES
        deploy = ""
        if redfish:
            assert http_root is not None and http_url is not None
            deploy = f"[deploy]\nhttp_root = {http_root}\nhttp_url = {http_url}\n"
            deploy += "[redfish]\nuse_swift = false\n"
        self.config.write_text(
            "[DEFAULT]\n"
            "auth_strategy = noauth\n"
            "rpc_transport = none\n"
            "host = test-conductor\n"
            f"log_file = {self.log_path}\n"
            + interfaces
            + textwrap.dedent(
                """\
                enabled_storage_interfaces = noop
                enabled_bios_interfaces = fake,no-bios
                enabled_console_interfaces = fake,no-console
                enabled_firmware_interfaces = fake,no-firmware
                enabled_inspect_interfaces = fake,no-inspect
                enabled_raid_interfaces = fake,no-raid
                enabled_rescue_interfaces = fake,no-rescue
                enabled_vendor_interfaces = fake,no-vendor
                """
            )
            + self._network_config()
            + f"[api]\nhost_ip = 127.0.0.1\nport = {self.port}\n"
            + f"[database]\nconnection = sqlite:///{self.workdir / 'ironic.sqlite'}\n"
            + f"[conductor]\nautomated_clean = {str(self.automated_clean).lower()}\n"
            + "[dhcp]\ndhcp_provider = none\n"
            + f"[oslo_concurrency]\nlock_path = {self.workdir / 'locks'}\n"
            + deploy
        )

    def _network_config(self) -> str:
        """``noop`` only; with Neutron, ``flat`` too, reaching Neutron through Keystone's
        catalog as Mogan's service user (it holds the ``service`` role Neutron asks of whoever
        writes ``binding:profile``). Ironic runs without auth, so its calls to Neutron carry
        these credentials, not a caller's token."""
        if self.neutron is None:
            return "enabled_network_interfaces = noop\n"
        auth = self.neutron.keystone.authtoken_options()
        return (
            "enabled_network_interfaces = noop,flat\n"
            "[neutron]\n"
            "auth_type = password\n"
            f"auth_url = {auth['auth_url']}\n"
            f"username = {auth['username']}\n"
            f"password = {auth['password']}\n"
            "project_name = service\n"
            "user_domain_id = default\n"
            "project_domain_id = default\n"
            "valid_interfaces = public\n"
            # ``flat`` validates that cleaning has a network; the shared provider one.
            f"cleaning_network = {PROVIDER}\n"
        )

    def _create_schema(self) -> None:
        # ``ironic-dbsync upgrade`` cannot ALTER constraints on SQLite; create_schema can.
        result = subprocess.run(
            [
                str(self.venv / "bin" / "ironic-dbsync"),
                "--config-file",
                str(self.config),
                "create_schema",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise PeerFailed(f"ironic-dbsync create_schema failed:\n{result.stderr[-3000:]}")

    def start(self, timeout: float = 60.0) -> IronicServer:
        with open(self.workdir / "ironic.stderr", "ab") as stderr:
            self.process = subprocess.Popen(
                [str(self.venv / "bin" / "ironic"), "--config-file", str(self.config)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise PeerFailed(f"Ironic exited with {code}:\n{self.log_tail()}")
            try:
                answer = httpx.get(self.url + "/", timeout=1.0)
                if answer.status_code == 200 and "Ironic" in answer.json().get("name", ""):
                    return self
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        self._kill()
        raise PeerFailed(f"Ironic did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the process group (API and its forked worker); kill -9 if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self._kill()
        self.process = None

    def _kill(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        text = ""
        for path in (self.log_path, self.workdir / "ironic.stderr"):
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    # -- acting on Ironic directly, as an operator would ---------------------------------------

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"X-OpenStack-Ironic-API-Version": API_VERSION},
            timeout=30.0,
        )

    def enrol(
        self,
        count: int,
        *,
        resource_class: str = "baremetal",
        properties: dict[str, Any] | None = None,
        port_type: str | None = None,
        prefix: str = "ironic-node",
        provide: bool = True,
        nics: int = 1,
        cabled: bool = False,
        **fields: Any,
    ) -> list[dict[str, Any]]:
        """Enrol ``count`` fake-hardware nodes with ``nics`` ports each, made ``available``;
        ``cabled`` ports are on Neutron's fake switch and its physical network."""
        nodes = []
        driver = fields.pop("driver", "fake-hardware")
        with self.api() as api:
            for index in range(count):
                body = {
                    "name": f"{prefix}-{index:03d}",
                    "driver": driver,
                    "resource_class": resource_class,
                    "properties": properties or {"cpus": 8, "memory_mb": 16384, "local_gb": 100},
                    **fields,
                }
                node = expect(api.post("/v1/nodes", json=body), 201)
                for _ in range(nics):
                    expect(api.post("/v1/ports", json=self._port(node, port_type, cabled)), 201)
                if provide:
                    self.move(api, node["uuid"], "manage", "manageable")
                    self.move(api, node["uuid"], "provide", "available")
                    # fake-hardware reports no power state until the first power action; real
                    # hardware always has one (Ironic's power sync reads it).
                    self.power(api, node["uuid"], "power off")
                nodes.append(expect(api.get(f"/v1/nodes/{node['uuid']}"), 200))
        return nodes

    def _port(self, node: dict[str, Any], port_type: str | None, cabled: bool) -> dict[str, Any]:
        serial = self._ports_made
        self._ports_made += 1
        port: dict[str, Any] = {
            "node_uuid": node["uuid"],
            "address": f"52:54:01:{serial // 65536:02x}:{serial // 256 % 256:02x}"
            f":{serial % 256:02x}",
        }
        if port_type:
            port["extra"] = {"port_type": port_type}
        if cabled:
            port["physical_network"] = PHYSNET
            port["local_link_connection"] = {
                "switch_id": SWITCH_MAC,
                "port_id": f"Gi0/{serial}",
                "switch_info": SWITCH_NAME,
            }
        return port

    def ports(self, node: str) -> list[dict[str, Any]]:
        with self.api() as api:
            return list(expect(api.get("/v1/ports/detail", params={"node": node}), 200)["ports"])

    def move(self, api: httpx.Client, node: str, target: str, expected: str) -> dict[str, Any]:
        expect(api.put(f"/v1/nodes/{node}/states/provision", json={"target": target}), 202)
        return self.wait_state(api, node, expected)

    def power(self, api: httpx.Client, node: str, target: str) -> None:
        expect(api.put(f"/v1/nodes/{node}/states/power", json={"target": target}), 202)
        deadline = time.monotonic() + 30
        while expect(api.get(f"/v1/nodes/{node}"), 200)["power_state"] != target:
            if time.monotonic() > deadline:
                raise AssertionError(f"Ironic node {node} did not reach {target!r}")
            time.sleep(0.05)

    def wait_state(
        self, api: httpx.Client, node: str, expected: str, timeout: float = 60.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body = expect(api.get(f"/v1/nodes/{node}"), 200)
            if body["provision_state"] == expected and body["target_provision_state"] is None:
                return body
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"Ironic node {node} is {body['provision_state']!r} "
                    f"(last_error {body['last_error']!r}), not {expected!r}"
                )
            time.sleep(0.1)

    def node(self, node: str) -> dict[str, Any]:
        with self.api() as api:
            return expect(api.get(f"/v1/nodes/{node}"), 200)

    def nodes(self) -> list[dict[str, Any]]:
        with self.api() as api:
            return expect(api.get("/v1/nodes/detail"), 200)["nodes"]

    def vifs(self, node: str) -> list[str]:
        with self.api() as api:
            return [v["id"] for v in expect(api.get(f"/v1/nodes/{node}/vifs"), 200)["vifs"]]


def expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise AssertionError(
            f"{response.request.method} {response.request.url} -> "
            f"{response.status_code}: {response.text}"
        )
    return response.json() if response.content else None
