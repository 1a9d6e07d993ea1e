"""A real OpenStack Glance for tests: its own virtualenv, a file store and an SQLite database,
served by gunicorn on a free loopback port, behind the real Keystone (keystonemiddleware).

Recipe and traps: ../shared/docs/REAL-PEERS.md (no standalone server any more: gunicorn serves
``glance.wsgi.api:application`` with the config dir in ``OS_GLANCE_CONFIG_DIR``; uploads must
match their ``disk_format``; close every response, or the next waits out the keep-alive).
"""

from __future__ import annotations

import contextlib
import hashlib
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

from tests.functional.process import free_port
from tests.peers.keystone import SERVICE_PASSWORD, KeystoneServer
from tests.peers.venv import PeerFailed, peer_virtualenv

GLANCE_REQUIREMENTS = ("glance==33.0.0", "gunicorn==23.0.0")


class GlanceServer:
    """Glance 33 in ``image`` of ``keystone``'s catalog. ``upload`` makes images as a
    Keystone user would (``openstack image create --file``)."""

    def __init__(self, workdir: Path, keystone: KeystoneServer) -> None:
        self.workdir = workdir / f"glance-{uuid.uuid4().hex[:6]}"
        self.workdir.mkdir(parents=True)
        self.keystone = keystone
        self.venv = peer_virtualenv("glance", GLANCE_REQUIREMENTS)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._configure()

    def _configure(self) -> None:
        store = self.workdir / "store"
        for name in ("images", "staging", "tasks"):
            (store / name).mkdir(parents=True)
        auth = self.keystone.authtoken_options()
        (self.workdir / "glance-api.conf").write_text(
            textwrap.dedent(
                f"""\
                [DEFAULT]
                log_file = {self.workdir / "glance.log"}
                enabled_backends = fs:file
                public_endpoint = {self.url}
                [database]
                connection = sqlite:///{self.workdir / "glance.sqlite"}
                [glance_store]
                default_backend = fs
                [fs]
                filesystem_store_datadir = {store / "images"}
                [os_glance_staging_store]
                filesystem_store_datadir = {store / "staging"}
                [os_glance_tasks_store]
                filesystem_store_datadir = {store / "tasks"}
                [paste_deploy]
                flavor = keystone
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
        shutil.copy(
            self.venv / "etc" / "glance" / "glance-api-paste.ini",
            self.workdir / "glance-api-paste.ini",
        )
        (self.workdir / "gunicorn.conf.py").write_text(
            textwrap.dedent(
                f"""\
                wsgi_app = "glance.wsgi.api:application"
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
            [
                str(self.venv / "bin" / "glance-manage"),
                "--config-file",
                str(self.workdir / "glance-api.conf"),
                "db_sync",
            ],
            env=self._env(),
            cwd=self.workdir,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise PeerFailed(f"glance-manage db_sync failed:\n{result.stderr[-3000:]}")

    def _env(self) -> dict[str, str]:
        return {**os.environ, "OS_GLANCE_CONFIG_DIR": str(self.workdir)}

    def start(self, timeout: float = 30.0) -> GlanceServer:
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
                raise PeerFailed(f"Glance exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/versions", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise PeerFailed(f"Glance did not answer within {timeout:.0f} s:\n{self.log_tail()}")

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
        for name in ("glance.log", "gunicorn.log"):
            path = self.workdir / name
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def register(self) -> None:
        """Put Glance in Keystone's catalog as ``image``, where Mogan looks it up."""
        self.keystone.register_service("image", "glance", self.url)

    def upload(
        self, token: str, data: bytes, *, name: str = "image", **properties: Any
    ) -> dict[str, Any]:
        """Create an image as the token's user and upload ``data``: the image as Glance
        shows it once ``active``."""
        body = {"name": name, "disk_format": "raw", "container_format": "bare", **properties}
        headers = {"X-Auth-Token": token}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as glance:
            created = glance.post("/v2/images", json=body)
            assert created.status_code == 201, created.text
            image_id = created.json()["id"]
            uploaded = glance.put(
                f"/v2/images/{image_id}/file",
                content=data,
                headers={"Content-Type": "application/octet-stream"},
            )
            assert uploaded.status_code == 204, uploaded.text
            shown = glance.get(f"/v2/images/{image_id}").json()
        assert shown["status"] == "active", shown
        assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
        return dict(shown)
