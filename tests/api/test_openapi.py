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


@pytest.mark.parametrize("caller", ["admin", "member"])
def test_the_api_answers_as_its_openapi_document_says(api: Api, fleet, caller):
    headers = ADMIN if caller == "admin" else project("tenant-a")
    schemathesis = Path(sys.executable).with_name("schemathesis")
    url = str(api.http.base_url).rstrip("/")
    command = [str(schemathesis), "--config-file", str(CONFIG), "--no-color"]
    command += ["run", f"{url}/openapi.json", "--checks", "all", "--seed", "20261130"]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
