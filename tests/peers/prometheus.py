"""A real Prometheus for tests: Debian's ``prometheus`` package, scraping the targets a test
names every second, queried through its HTTP API as an operator's dashboards and alerts do.

Recipe and traps: ../shared/docs/REAL-PEERS.md.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.functional.process import free_port


class PrometheusMissing(RuntimeError):
    """Debian's prometheus is not installed: the test fails and says so."""


def binary(name: str) -> str:
    found = shutil.which(name) or (
        f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
    )
    if found is None:
        raise PrometheusMissing(
            f"{name} is not installed: it comes with Debian's prometheus package "
            "(apt-get install -y prometheus; .ci/run installs it)"
        )
    return found


class PrometheusServer:
    def __init__(self, workdir: Path, targets: dict[str, str]) -> None:
        """``targets``: job name → ``host:port`` serving ``/metrics``."""
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = workdir / "prometheus.yml"
        self.config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "scrape_configs": [
                        {"job_name": job, "static_configs": [{"targets": [target]}]}
                        for job, target in targets.items()
                    ],
                }
            )
        )
        self.log_path = workdir / "prometheus.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> PrometheusServer:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                binary("prometheus"),
                f"--config.file={self.config}",
                f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.enable-lifecycle",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"prometheus not ready in {timeout}s: {self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def query(self, expression: str) -> list[dict[str, Any]]:
        """The instant vector ``expression`` evaluates to now."""
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": expression}, timeout=10)
        answer.raise_for_status()
        body = answer.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def value(self, expression: str, timeout: float = 30) -> float:
        """The single value of ``expression`` once Prometheus has one (it scrapes each second)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.query(expression)
            if len(found) == 1:
                return float(found[0]["value"][1])
            if time.monotonic() > deadline:
                raise AssertionError(f"{expression}: {found} after {timeout}s; {self.targets()}")
            time.sleep(0.25)

    def targets(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/api/v1/targets", timeout=10).json()
        return [
            {k: t.get(k) for k in ("scrapeUrl", "health", "lastError")}
            for t in answer["data"]["activeTargets"]
        ]
