"""``/openapi.json`` tells the truth: schemathesis generates requests from it, as client and
test generators do, and checks what the real API answers (documented status codes and
bodies, the ``Allow`` of a 405, schema-valid data accepted, invalid data refused, no 5xx).

It runs as an administrator and as a project member, on both databases, against a fleet
with one of everything, with a bounded number of examples per operation and a fixed seed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import ADMIN, Api, project

CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.parametrize("caller", ["admin", "member", "hostile"])
def test_the_api_answers_as_its_openapi_document_says(api: Api, fleet, caller):
    """``hostile``: an administrator's requests with NUL characters anywhere (paths, queries,
    bodies) besides the valid and invalid data of the other runs; only "never a 5xx" is
    checked of it, as NUL is refused everywhere without every schema saying so."""
    headers = project("tenant-a") if caller == "member" else ADMIN
    schemathesis = Path(sys.executable).with_name("schemathesis")
    url = str(api.http.base_url).rstrip("/")
    checks = "not_a_server_error" if caller == "hostile" else "all"
    command = [str(schemathesis), "--config-file", str(CONFIG), "--no-color"]
    command += ["run", f"{url}/openapi.json", "--checks", checks, "--seed", "20261130"]
    if caller == "hostile":
        command += ["--generation-allow-x00", "true"]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
