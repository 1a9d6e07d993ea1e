"""``/openapi.json`` tells the truth: schemathesis generates requests from it, as client and
test generators do, and checks what the real API answers (documented status codes and
bodies, the ``Allow`` of a 405, schema-valid data accepted, invalid data refused, no 5xx).

It runs as an administrator on PostgreSQL and as a project member on SQLite (every route
meets both databases; the rest of the suite runs each on both), against a fleet with one of
everything, with a bounded number of examples per operation and a fixed
seed, with NUL characters and oversized values among what it sends (the document says every
string refuses NUL, and what each bound is).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import ADMIN, Api, project

CONFIG = Path(__file__).with_name("schemathesis.toml")
pytestmark = pytest.mark.exhaustive


@pytest.mark.backends("postgresql")
def test_the_api_answers_as_its_openapi_document_says_to_an_administrator(api: Api, fleet):
    """Every route, each of its parameters' boundaries covered, on PostgreSQL: the stricter
    of the two databases (it cannot store a NUL, which SQLite takes)."""
    _schemathesis(api, ADMIN)


@pytest.mark.backends("sqlite")
def test_the_api_answers_as_its_openapi_document_says_to_a_member(api: Api, fleet):
    """Generated and stateful requests as a member, on SQLite: what a member is refused (403
    before any 400) is decided by the policy, and every route meets the other database."""
    _schemathesis(api, project("tenant-a"), phases="fuzzing,stateful")


def _schemathesis(api: Api, headers: dict[str, str], phases: str | None = None) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    url = str(api.http.base_url).rstrip("/")
    command = [str(schemathesis), "--config-file", str(CONFIG), "--no-color"]
    command += ["run", f"{url}/openapi.json", "--checks", "all", "--seed", "20261130"]
    if phases is not None:
        command += ["--phases", phases]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
