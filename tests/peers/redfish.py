"""Real Redfish peers for tests: sushy-tools' emulator, an ISO server, a fault proxy."""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pycdlib

from mogan.drivers.configdrive import build_iso
from tests.functional.process import free_port

USERNAME = "root"
PASSWORD = "c4lvin-BMC-s3cret"


class RedfishEmulator:
    """``sushy-emulator`` with the fake systems driver, a fresh state dir and basic auth."""

    def __init__(self, workdir: Path, systems: int = 20, *, fast: bool = True) -> None:
        self.workdir = workdir / f"emulator-{uuid.uuid4().hex[:6]}"
        self.workdir.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.fast = fast
        # What each machine is, as its BMC reports it (see sushy_launcher.py): two sockets of
        # 8 threads, 64 GiB, a 10 Gbit/s NIC, and a RAID controller with two drives and one
        # volume on them.
        self.systems = [
            {
                "uuid": str(uuid.uuid4()),
                "name": f"bmc-node-{i:03d}",
                "power_state": "Off",
                "cpus": 16,
                "memory_gib": 64,
                "processors": [
                    {
                        "id": f"CPU{socket}",
                        "socket": f"CPU {socket}",
                        "model": "AMD EPYC 7313P 16-Core Processor",
                        "vendor": "AMD",
                        "cores": 4,
                        "threads": 8,
                    }
                    for socket in (0, 1)
                ],
                "nics": [
                    {
                        "mac": f"52:54:00:aa:{i // 256:02x}:{i % 256:02x}",
                        "ip": "127.0.0.1",
                        "speed_mbps": 10000,
                    }
                ],
            }
            for i in range(systems)
        ]
        self.storage = {
            system["uuid"]: [
                {
                    "Id": "1",
                    "Name": "RAID Controller",
                    "StorageControllers": [
                        {"MemberId": "0", "Name": "Contoso Integrated RAID", "SpeedGbps": 12}
                    ],
                    "Drives": ["disk-0", "disk-1"],
                }
            ]
            for system in self.systems
        }
        self.drives = {
            (system["uuid"], "1"): [
                {
                    "Id": "disk-0",
                    "Name": "Drive 0",
                    "CapacityBytes": 479559942144,
                    "Protocol": "SAS",
                },
                {
                    "Id": "disk-1",
                    "Name": "Drive 1",
                    "CapacityBytes": 479559942144,
                    "Protocol": "SAS",
                },
            ]
            for system in self.systems
        }
        self.volumes = {
            (system["uuid"], "1"): [
                {
                    "Id": "volume-0",
                    "Name": "root",
                    "VolumeType": "Mirrored",
                    "CapacityBytes": 479559942144,
                    "libvirtPoolName": "none",
                    "libvirtVolName": "volume-0",
                }
            ]
            for system in self.systems
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "emulator.log"

    def system_path(self, index: int) -> str:
        return f"/redfish/v1/Systems/{self.systems[index]['uuid']}"

    def driver_info(self, index: int, **overrides: Any) -> dict[str, Any]:
        info = {
            "redfish_address": self.url,
            "redfish_system_id": self.system_path(index),
            "redfish_username": USERNAME,
            "redfish_password": PASSWORD,
            "redfish_verify_ca": False,
        }
        info.update(overrides)
        return info

    def start(self, timeout: float = 20.0) -> RedfishEmulator:
        htpasswd = self.workdir / "htpasswd"
        digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
        htpasswd.write_text(f"{USERNAME}:{digest}\n")
        config = self.workdir / "emulator.conf"
        config.write_text(
            "\n".join(
                [
                    "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'",
                    f"SUSHY_EMULATOR_LISTEN_PORT = {self.port}",
                    "SUSHY_EMULATOR_FAKE_DRIVER = True",
                    f"SUSHY_EMULATOR_STATE_DIR = {str(self.workdir / 'state')!r}",
                    f"SUSHY_EMULATOR_AUTH_FILE = {str(htpasswd)!r}",
                    f"SUSHY_EMULATOR_FAKE_SYSTEMS = {self.systems!r}",
                    f"SUSHY_EMULATOR_STORAGE = {self.storage!r}",
                    f"SUSHY_EMULATOR_DRIVES = {self.drives!r}",
                    f"SUSHY_EMULATOR_VOLUMES = {self.volumes!r}",
                ]
            )
        )
        launcher = Path(__file__).with_name("sushy_launcher.py")
        args = [sys.executable, str(launcher), str(config), *(["--fast"] if self.fast else [])]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"sushy-emulator exited with {self.process.returncode}:\n"
                    f"{self.log_path.read_text()[-3000:]}"
                )
            try:
                if httpx.get(f"{self.url}/redfish/v1/", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(
            f"sushy-emulator did not answer within {timeout}s:\n{self.log_path.read_text()[-3000:]}"
        )

    def get(self, path: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}{path}", auth=(USERNAME, PASSWORD), timeout=10)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def system(self, index: int) -> dict[str, Any]:
        return self.get(self.system_path(index))

    def volumes_of(self, index: int) -> list[dict[str, Any]]:
        """The system's volumes as its BMC lists them now."""
        listed = self.get(f"{self.system_path(index)}/Storage/1/Volumes")
        return [self.get(member["@odata.id"]) for member in listed["Members"]]

    def media(self, index: int, device: str = "Cd") -> dict[str, Any]:
        return self.get(f"{self.system_path(index)}/VirtualMedia/{device}")

    def set_power(self, index: int, reset_type: str) -> None:
        response = httpx.post(
            f"{self.url}{self.system_path(index)}/Actions/ComputerSystem.Reset",
            json={"ResetType": reset_type},
            auth=(USERNAME, PASSWORD),
        )
        response.raise_for_status()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class FileServer:
    """A loopback HTTP server for a directory: images for BMCs to fetch, config drives."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def add_iso(self, name: str = "instance.iso") -> str:
        (self.directory / name).write_bytes(build_iso({"README.TXT": b"Mogan test image\n"}))
        return f"{self.url}/{name}"

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class FaultProxy:
    """A proxy in front of a BMC that can answer 5xx, hang, or refuse the Reset action.

    ``mode``: ``"pass"``, ``"error"`` (every request gets ``status``), ``"hang"`` (requests
    wait ``hang_seconds`` before being forwarded), ``"refuse_reset"`` (a Reset POST gets a
    Redfish ``ActionNotSupported`` error), ``"ignore_soft"`` (graceful resets are accepted and
    ignored, as by an OS that does not react to ACPI), ``"delay"`` (like hang: every request
    waits ``hang_seconds``, to model a real BMC's latency). ``requests`` counts what came in,
    by method and path; ``patches`` keeps the bodies of the PATCHes (sushy-tools ignores some
    of what they ask, such as ``BootSourceOverrideEnabled``: they show what was asked).
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.mode = "pass"
        #: Answer the next this many requests (of method ``fail_method``, if set) with
        #: ``status`` whatever the mode, then carry on.
        self.fail_next = 0
        self.fail_method: str | None = None
        self.status = 503
        self.hang_seconds = 5.0
        self.requests: list[tuple[str, str]] = []
        self.patches: list[tuple[str, Any]] = []
        self.errors: list[str] = []
        self.guard = threading.Lock()
        self._upstream = httpx.Client(timeout=30)  # thread-safe; one TLS context for all
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                try:
                    self._forward()
                except (BrokenPipeError, ConnectionResetError):
                    # The client hung up before the answer (its read timeout, on a loaded
                    # machine): the client's own business, not a fault of the proxy.
                    self.close_connection = True
                except Exception as exc:  # a broken proxy must say so, not look like a BMC
                    proxy.errors.append(repr(exc))
                    raise

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy.requests.append((self.command, self.path))
                if self.command == "PATCH" and body:
                    with contextlib.suppress(ValueError):
                        proxy.patches.append((self.path, json.loads(body)))
                with proxy.guard:
                    failing = proxy.fail_next > 0 and proxy.fail_method in (None, self.command)
                    proxy.fail_next -= 1 if failing else 0
                if proxy.mode == "error" or failing:
                    self._reply(
                        proxy.status,
                        {
                            "error": {
                                "code": "Base.1.0.InternalError",
                                "message": f"The BMC is having a bad day (HTTP {proxy.status})",
                            }
                        },
                    )
                    return
                if (
                    proxy.mode == "refuse_reset"
                    and self.command == "POST"
                    and self.path.endswith("ComputerSystem.Reset")
                ):
                    self._reply(
                        400,
                        {
                            "error": {
                                "code": "Base.1.0.ActionNotSupported",
                                "message": "The action ComputerSystem.Reset is not supported "
                                "by the resource.",
                            }
                        },
                    )
                    return
                if proxy.mode == "ignore_soft" and self.command == "POST" and b"Graceful" in body:
                    self._reply(204, None)  # accepted, and then nothing happens
                    return
                if proxy.mode in ("hang", "delay"):
                    time.sleep(proxy.hang_seconds)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                upstream = proxy._upstream.request(
                    self.command, proxy.target + self.path, content=body, headers=headers
                )
                self.send_response(upstream.status_code)
                for key, value in upstream.headers.items():
                    if key.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(upstream.content)))
                self.send_header("Connection", "close")  # never leave a half-closed socket
                self.end_headers()
                self.wfile.write(upstream.content)

            def _reply(self, status: int, body: dict[str, Any] | None) -> None:
                import json

                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p.endswith(suffix))

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._upstream.close()


def read_config_drive(url: str) -> dict[str, Any]:
    """The config drive a BMC was given (by its URL): its documents, parsed (``user_data``
    None when there is none)."""
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(httpx.get(url).content))
    found: dict[str, Any] = {}
    for name in ("meta_data.json", "network_data.json", "user_data"):
        out = io.BytesIO()
        try:
            iso.get_file_from_iso_fp(out, rr_path=f"/openstack/latest/{name}")
        except pycdlib.pycdlibexception.PyCdlibInvalidInput:
            found[name] = None  # no user data given
            continue
        found[name] = out.getvalue() if name == "user_data" else json.loads(out.getvalue())
    assert iso.pvd.volume_identifier.strip(b" \x00") == b"config-2"
    iso.close()
    return found
