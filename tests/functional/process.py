"""A real ``mogan`` process, started from its console script with an INI file, as operators do."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

#: Each pytest-xdist worker hands out ports from a block of its own, below the kernel's
#: ephemeral range, each port once: a port chosen here stays free until its server binds it,
#: however long that takes (a peer's first install takes minutes), since no other worker
#: and no ``bind(0)`` ever picks it.
_PORTS_PER_WORKER = 400
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_FIRST_PORT = 20000 + _PORTS_PER_WORKER * (_WORKER % 30)
_handed_out = itertools.count()


def free_port() -> int:
    """A loopback port nobody listens on, never handed out before by this worker."""
    for _ in range(_PORTS_PER_WORKER):
        port = _FIRST_PORT + next(_handed_out) % _PORTS_PER_WORKER
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {_FIRST_PORT}..{_FIRST_PORT + _PORTS_PER_WORKER}")


def mogan_command() -> list[str]:
    script = Path(sys.executable).parent / "mogan"
    if not script.exists():
        raise RuntimeError(
            f"the mogan console script is not installed next to {sys.executable}"
            "; run 'pip install -e .' first"
        )
    return [str(script)]


def write_config(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    lines = []
    for section, options in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in options.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


class MoganProcess:
    """``mogan serve`` (or ``api``, ``engine``) in its own process group, logging to a file."""

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        *,
        port: int | None = None,
        args: tuple[str, ...] = (),
        command: str = "serve",
        **sections: dict[str, Any],
    ) -> None:
        self.command = command
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config: dict[str, dict[str, Any]] = {
            "DEFAULT": {"state_path": workdir / "state", "auth_strategy": "noauth"},
            # Many processes of many tests share one PostgreSQL (100 connections by
            # default): each process keeps few, and waits for one at its peaks.
            "database": {"connection": database_url, "max_pool_size": 4, "max_overflow": 6},
            "api": {"host_ip": "127.0.0.1", "port": self.port},
            "engine": {
                "poll_interval": 0.1,
                "lease_timeout": 3,
                "driver_retry_interval": 0.05,
                "sync_power_state_interval": 0,
            },
        }
        for section, options in sections.items():
            config.setdefault(section, {}).update(options)
        self.config = write_config(workdir / f"mogan-{command}-{self.port}.conf", config)
        self.args = args
        self.log_path = workdir / f"mogan-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    def start(self, timeout: float = 30.0) -> MoganProcess:
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in _closed()
        self.process = subprocess.Popen(
            [*mogan_command(), "--config-file", str(self.config), self.command, *self.args],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mogan serve exited with {self.process.returncode}:\n{self.log()}"
                )
            if self.command == "engine":
                if " running" in self.log_path.read_text(errors="replace"):
                    return self
            else:
                try:
                    if httpx.get(f"{self.url}/v1", timeout=1).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"mogan serve did not answer within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def kill(self) -> None:
        """kill -9: no clean-up, no goodbye, as a crash or an OOM kill would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._closed()

    def _closed(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stop(self, timeout: float = 20.0) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
            self._closed()
            return code
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"mogan serve ignored SIGTERM for {timeout}s:\n{self.log()}"
            ) from None
