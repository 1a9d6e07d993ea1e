"""The functional tier: real ``mogan serve`` processes over HTTP, on both backends."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.databases import fresh_database
from tests.functional.cluster import Cluster
from tests.functional.process import MoganProcess, mogan_command
from tests.peers.keystone import KeystoneServer


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database: ``mogan serve`` must create the schema itself."""
    with fresh_database(backend, str(tmp_path)) as url:
        yield url


@pytest.fixture
def serve(fresh_url: str, tmp_path: Path) -> Iterator[Callable[..., MoganProcess]]:
    processes: list[MoganProcess] = []

    def start(**kwargs: Any) -> MoganProcess:
        process = MoganProcess(tmp_path, fresh_url, **kwargs).start()
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()


@pytest.fixture(scope="module")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeystoneServer]:
    """A real Keystone shared by a module's tests."""
    server = KeystoneServer(tmp_path_factory.mktemp("keystone")).start()
    yield server
    server.stop()


def keystone_mogan(
    workdir: Path, url: str, keystone: KeystoneServer, **authtoken: Any
) -> MoganProcess:
    """``mogan serve`` with ``auth_strategy = keystone`` in front of ``keystone``."""
    return MoganProcess(
        workdir,
        url,
        DEFAULT={"auth_strategy": "keystone", "enabled_drivers": "fake"},
        keystone_authtoken={**keystone.authtoken_options(), **authtoken},
    ).start()


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """Scale-out is a PostgreSQL layout: engines in other processes share one database."""
    with fresh_database("postgresql", str(tmp_path)) as url:
        config = tmp_path / "upgrade.conf"
        config.write_text(f"[database]\nconnection = {url}\n")
        subprocess.run(
            [*mogan_command(), "--config-file", str(config), "db", "upgrade"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield url


@pytest.fixture
def cluster(tmp_path: Path, pg_url: str) -> Iterator[Cluster]:
    made = Cluster(tmp_path, pg_url)
    yield made
    for process in made.processes:
        process.kill()
