"""A real OpenStack Keystone for tests: its own virtualenv, fernet keys, an SQLite database,
served by gunicorn on a free loopback port, with the projects, users and roles the tests use.

Recipe and traps: ../shared/docs/REAL-PEERS.md (cache on, cheap password hashes, gunicorn
configured by file because Keystone parses the process's command line as its own).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.functional.process import free_port
from tests.peers.venv import PeerFailed, peer_virtualenv

KEYSTONE_REQUIREMENTS = ("keystone==30.0.0", "gunicorn==23.0.0")
ADMIN_PASSWORD = "bootstrap-s3cret"
PASSWORD = "user-s3cret"
SERVICE_PASSWORD = "mogan-service-s3cret"
#: Seconds a token lives: short, so a test can watch one expire.
TOKEN_LIFETIME = 20

_SETUP = """
import sys
from keystone.cmd import cli
config = sys.argv[1]
for args in sys.argv[2:]:
    cli.main(argv=["keystone-manage", "--config-file", config, *args.split("|")])
    cli.CONF.reset()  # so the next command may register its own arguments
    cli.CONF.unregister_opt(cli.command_opt)
"""


@dataclass(frozen=True)
class Account:
    user: str
    project: str


class KeystoneServer:
    """Keystone with: projects ``project-a`` and ``project-b``; ``alice`` (member of a),
    ``bob`` (member of b), ``rita`` (reader of a); the bootstrap ``admin``; and the service
    user ``mogan`` (``service`` role in project ``service``) for keystonemiddleware."""

    ALICE = Account("alice", "project-a")
    BOB = Account("bob", "project-b")
    RITA = Account("rita", "project-a")
    ADMIN = Account("admin", "admin")

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir / f"keystone-{uuid.uuid4().hex[:6]}"
        self.workdir.mkdir(parents=True)
        self.venv = peer_virtualenv("keystone", KEYSTONE_REQUIREMENTS)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.auth_url = f"{self.url}/v3"
        self.log_path = self.workdir / "keystone.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.project_ids: dict[str, str] = {}
        self._configure()

    def _configure(self) -> None:
        keys = self.workdir / "fernet-keys"
        credentials = self.workdir / "credential-keys"
        for directory in (keys, credentials):
            directory.mkdir()
        (self.workdir / "keystone.conf").write_text(
            textwrap.dedent(
                f"""\
                [DEFAULT]
                log_file = {self.log_path}
                [database]
                connection = sqlite:///{self.workdir / "keystone.db"}
                [token]
                provider = fernet
                expiration = {TOKEN_LIFETIME}
                [fernet_tokens]
                key_repository = {keys}
                [fernet_receipts]
                key_repository = {keys}
                [credential]
                key_repository = {credentials}
                [cache]
                enabled = true
                backend = dogpile.cache.memory
                [identity]
                password_hash_rounds = 4
                """
            )
        )
        (self.workdir / "gunicorn.conf.py").write_text(
            textwrap.dedent(
                f"""\
                wsgi_app = "keystone.wsgi.api:application"
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
        user = os.getuid()
        group = os.getgid()
        steps = [
            f"fernet_setup|--keystone-user|{user}|--keystone-group|{group}",
            f"credential_setup|--keystone-user|{user}|--keystone-group|{group}",
            "db_sync",
            f"bootstrap|--bootstrap-password|{ADMIN_PASSWORD}"
            f"|--bootstrap-public-url|{self.auth_url}/|--bootstrap-internal-url|{self.auth_url}/"
            f"|--bootstrap-admin-url|{self.auth_url}/|--bootstrap-region-id|RegionOne",
        ]
        result = subprocess.run(
            [
                str(self.venv / "bin" / "python"),
                *("-c", _SETUP, str(self.workdir / "keystone.conf")),
                *steps,
            ],
            env={**os.environ, "OS_KEYSTONE_CONFIG_DIR": str(self.workdir)},
            cwd=self.workdir,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise PeerFailed(f"keystone-manage failed:\n{result.stderr[-3000:]}\n{self.log_tail()}")

    def start(self, timeout: float = 30.0) -> KeystoneServer:
        with open(self.workdir / "gunicorn.log", "ab") as log:
            self.process = subprocess.Popen(
                [str(self.venv / "bin" / "gunicorn")],
                cwd=self.workdir,
                env={**os.environ, "OS_KEYSTONE_CONFIG_DIR": str(self.workdir)},
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PeerFailed(f"Keystone exited:\n{self.log_tail()}")
            try:
                if httpx.get(self.auth_url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise PeerFailed(f"Keystone did not answer within {timeout:.0f} s:\n{self.log_tail()}")
        self._populate()
        return self

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

    def log_tail(self, lines: int = 40) -> str:
        text = ""
        for path in (self.log_path, self.workdir / "gunicorn.log"):
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    # -- identities ----------------------------------------------------------------------------

    def _populate(self) -> None:
        headers = {"X-Auth-Token": self.token(self.ADMIN, password=ADMIN_PASSWORD)}
        with httpx.Client(base_url=self.auth_url, headers=headers, timeout=30) as api:
            roles = {r["name"]: r["id"] for r in _ok(api.get("/roles"))["roles"]}
            if "service" not in roles:
                roles["service"] = _ok(api.post("/roles", json={"role": {"name": "service"}}))[
                    "role"
                ]["id"]
            for name in ("project-a", "project-b", "service"):
                body = {"project": {"name": name, "domain_id": "default"}}
                self.project_ids[name] = _ok(api.post("/projects", json=body))["project"]["id"]
            self.project_ids["admin"] = _ok(api.get("/projects", params={"name": "admin"}))[
                "projects"
            ][0]["id"]
            grants = [
                ("alice", PASSWORD, "project-a", "member"),
                ("bob", PASSWORD, "project-b", "member"),
                ("rita", PASSWORD, "project-a", "reader"),
                ("mogan", SERVICE_PASSWORD, "service", "service"),
            ]
            for name, password, project, role in grants:
                body = {"user": {"name": name, "password": password, "domain_id": "default"}}
                user_id = _ok(api.post("/users", json=body))["user"]["id"]
                project_id = self.project_ids[project]
                response = api.put(f"/projects/{project_id}/users/{user_id}/roles/{roles[role]}")
                assert response.status_code == 204, response.text

    def grant(self, user: str, project: str, role: str) -> None:
        """Give ``user`` ``role`` on ``project`` (all named)."""
        headers = {"X-Auth-Token": self.token(self.ADMIN)}
        with httpx.Client(base_url=self.auth_url, headers=headers, timeout=30) as api:
            user_id = _ok(api.get("/users", params={"name": user}))["users"][0]["id"]
            role_id = _ok(api.get("/roles", params={"name": role}))["roles"][0]["id"]
            project_id = self.project_ids[project]
            response = api.put(f"/projects/{project_id}/users/{user_id}/roles/{role_id}")
            assert response.status_code == 204, response.text

    def register_endpoint(self, url: str) -> None:
        """Put Mogan in the catalog, as ``baremetal-compute``, so clients find it there."""
        self.register_service("baremetal-compute", "mogan", url)

    def register_service(self, service_type: str, name: str, url: str) -> None:
        """Put a service in the catalog (public and internal endpoints at ``url``)."""
        headers = {"X-Auth-Token": self.token(self.ADMIN)}
        with httpx.Client(base_url=self.auth_url, headers=headers, timeout=30) as api:
            body = {"service": {"type": service_type, "name": name}}
            service = _ok(api.post("/services", json=body))["service"]["id"]
            for interface in ("public", "internal"):
                endpoint = {
                    "service_id": service,
                    "interface": interface,
                    "url": url,
                    "region_id": "RegionOne",
                }
                _ok(api.post("/endpoints", json={"endpoint": endpoint}))

    def environment(self, account: Account) -> dict[str, str]:
        """The ``OS_*`` variables a user of this Keystone sets for CLIs."""
        return {
            "OS_AUTH_TYPE": "password",
            "OS_AUTH_URL": self.auth_url,
            "OS_USERNAME": account.user,
            "OS_PASSWORD": ADMIN_PASSWORD if account == self.ADMIN else PASSWORD,
            "OS_PROJECT_NAME": account.project,
            "OS_USER_DOMAIN_ID": "default",
            "OS_PROJECT_DOMAIN_ID": "default",
            "OS_REGION_NAME": "RegionOne",
            "OS_IDENTITY_API_VERSION": "3",
        }

    def token(self, account: Account, *, password: str = PASSWORD) -> str:
        """A project-scoped token for ``account`` (the admin's password is the bootstrap one)."""
        if account == self.ADMIN:
            password = ADMIN_PASSWORD
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": account.user,
                            "domain": {"id": "default"},
                            "password": password,
                        }
                    },
                },
                "scope": {"project": {"name": account.project, "domain": {"id": "default"}}},
            }
        }
        response = httpx.post(f"{self.auth_url}/auth/tokens", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return response.headers["X-Subject-Token"]

    def revoke(self, token: str) -> None:
        admin = self.token(self.ADMIN)
        response = httpx.delete(
            f"{self.auth_url}/auth/tokens",
            headers={"X-Auth-Token": admin, "X-Subject-Token": token},
            timeout=30,
        )
        assert response.status_code == 204, response.text

    def authtoken_options(self) -> dict[str, Any]:
        """Mogan's ``[keystone_authtoken]`` section for this Keystone."""
        return {
            "www_authenticate_uri": self.auth_url,
            "auth_url": self.auth_url,
            "auth_type": "password",
            "username": "mogan",
            "password": SERVICE_PASSWORD,
            "project_name": "service",
            "user_domain_id": "default",
            "project_domain_id": "default",
            # Revocation takes effect when a cached validation runs out; keep that short.
            "token_cache_time": 1,
        }


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), f"{response.request.url}: {response.text}"
    return response.json()
