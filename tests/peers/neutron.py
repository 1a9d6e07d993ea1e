"""A real OpenStack Neutron for tests: ML2 with flat provider networks and
networking-generic-switch's ``genericswitch`` mechanism driver on a ``netmiko_fake`` switch,
which really binds baremetal ports (``binding:vif_type other``, ACTIVE) with no agent and no
switch; served by gunicorn behind the real Keystone, on a PostgreSQL database of its own whose
schema is built from its models (on SQLite, concurrent writes fail with "database is locked").

Recipe and traps: ../shared/docs/REAL-PEERS.md (the API parses ``sys.argv``: gunicorn is
configured by file; RPC is faked; the first ``GET /v2.0/ports`` of a fresh process can be a
500, so networks are listed once after every start).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.databases import fresh_database
from tests.functional.process import free_port
from tests.peers.keystone import SERVICE_PASSWORD, KeystoneServer
from tests.peers.venv import PeerFailed, peer_virtualenv

NEUTRON_REQUIREMENTS = (
    "neutron==29.0.0",
    "networking-generic-switch==10.2.0",
    "gunicorn==23.0.0",
    "psycopg2-binary==2.9.10",
)
#: The fake switch every test NIC is cabled to (``local_link_connection.switch_id``).
SWITCH_MAC = "00:11:22:33:44:55"
SWITCH_NAME = "sw1"
PHYSNET = "physnet1"
#: The shared flat network on it that ``provider_network`` makes.
PROVIDER = "provider"

_SCHEMA = """
import sys
from oslo_config import cfg
from neutron.common import config
from neutron.db.migration.models import head  # noqa: F401 - every model, registered
from neutron_lib.db import model_base
import sqlalchemy
engine = sqlalchemy.create_engine(sys.argv[1])
model_base.BASEV2.metadata.create_all(engine)
"""


class NeutronServer:
    """Neutron 29 in ``network`` of ``keystone``'s catalog, with one shared flat provider
    network (``provider``) and its subnet."""

    def __init__(self, workdir: Path, keystone: KeystoneServer) -> None:
        self.workdir = workdir / f"neutron-{uuid.uuid4().hex[:6]}"
        (self.workdir / "plugins" / "ml2").mkdir(parents=True)
        self.keystone = keystone
        self.venv = peer_virtualenv("neutron", NEUTRON_REQUIREMENTS)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._database = contextlib.ExitStack()
        url = self._database.enter_context(fresh_database("postgresql", str(self.workdir)))
        try:
            self._configure(url.replace("postgresql+psycopg://", "postgresql+psycopg2://", 1))
        except BaseException:
            self._database.close()
            raise

    def _configure(self, database: str) -> None:
        auth = self.keystone.authtoken_options()
        (self.workdir / "neutron.conf").write_text(
            textwrap.dedent(
                f"""\
                [DEFAULT]
                log_file = {self.workdir / "neutron.log"}
                core_plugin = ml2
                service_plugins = router
                auth_strategy = keystone
                transport_url = fake://
                [database]
                connection = {database}
                [keystone_authtoken]
                www_authenticate_uri = {auth["www_authenticate_uri"]}
                auth_url = {auth["auth_url"]}
                auth_type = password
                username = mogan
                password = {SERVICE_PASSWORD}
                project_name = service
                user_domain_id = default
                project_domain_id = default
                [oslo_concurrency]
                lock_path = {self.workdir / "locks"}
                """
            )
        )
        (self.workdir / "plugins" / "ml2" / "ml2_conf.ini").write_text(
            textwrap.dedent(
                f"""\
                [ml2]
                type_drivers = flat
                tenant_network_types =
                mechanism_drivers = genericswitch
                extension_drivers = port_security
                [ml2_type_flat]
                flat_networks = *
                [genericswitch:{SWITCH_NAME}]
                device_type = netmiko_fake
                ngs_mac_address = {SWITCH_MAC}
                """
            )
        )
        shutil.copy(self.venv / "etc" / "neutron" / "api-paste.ini", self.workdir)
        (self.workdir / "gunicorn.conf.py").write_text(
            textwrap.dedent(
                f"""\
                wsgi_app = "neutron.wsgi.api:application"
                bind = "127.0.0.1:{self.port}"
                workers = 1
                threads = 8
                # gunicorn closes an idle connection after 2 s: a client reusing it then
                # (keystoneauth does) races the close and fails. Deployments keep them longer.
                keepalive = 75
                control_socket_disable = True
                """
            )
        )
        result = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", _SCHEMA, database],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise PeerFailed(f"Neutron's schema could not be built:\n{result.stderr[-3000:]}")

    def _env(self) -> dict[str, str]:
        return {**os.environ, "OS_NEUTRON_CONFIG_DIR": str(self.workdir)}

    def start(self, timeout: float = 60.0) -> NeutronServer:
        with open(self.workdir / "gunicorn.log", "ab") as log:
            self.process = subprocess.Popen(
                [str(self.venv / "bin" / "gunicorn")],
                cwd=self.workdir,
                env=self._env(),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PeerFailed(f"Neutron exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url, timeout=2).status_code == 200:
                    # The first read of a fresh process may fail (a lazy extension): warm it.
                    self.admin("GET", "/v2.0/networks")
                    return self
            time.sleep(0.2)
        self.stop()
        raise PeerFailed(f"Neutron did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def close(self) -> None:
        """Stop the server and drop its database."""
        self.stop()
        self._database.close()

    def log_tail(self, lines: int = 40) -> str:
        text = ""
        for name in ("neutron.log", "gunicorn.log"):
            path = self.workdir / name
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def register(self) -> None:
        """Put Neutron in Keystone's catalog as ``network``."""
        self.keystone.register_service("network", "neutron", self.url)

    def request(self, token: str, method: str, path: str, **kwargs: Any) -> Any:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            response = client.request(method, path, headers={"X-Auth-Token": token}, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"Neutron {method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(self.keystone.token(self.keystone.ADMIN), method, path, **kwargs)

    def provider_network(self, name: str = PROVIDER, cidr: str = "192.0.2.0/24") -> dict:
        """A shared flat network on the fake switch's physical network, with a subnet."""
        network = self.admin(
            "POST",
            "/v2.0/networks",
            json={
                "network": {
                    "name": name,
                    "shared": True,
                    "provider:network_type": "flat",
                    "provider:physical_network": PHYSNET,
                }
            },
        )["network"]
        self.admin(
            "POST",
            "/v2.0/subnets",
            json={"subnet": {"network_id": network["id"], "ip_version": 4, "cidr": cidr}},
        )
        return dict(network)

    def ports(self, **filters: str) -> list[dict]:
        return list(self.admin("GET", "/v2.0/ports", params=filters)["ports"])
