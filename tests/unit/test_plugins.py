"""Drivers are plugins, loaded only when enabled and first used; heavy clients stay unloaded."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from mogan import conf as mogan_conf
from mogan.assembly import build_drivers
from mogan.drivers.fake import FakeDriver
from mogan.drivers.instrumented import MeasuredDriver
from mogan.drivers.registry import DriverRegistry, installed_drivers


def test_the_shipped_drivers_are_installed_plugins():
    assert {"fake", "redfish", "ironic"} <= set(installed_drivers())


def test_an_unknown_enabled_driver_fails_at_start_naming_what_is_installed(tmp_path):
    conf = mogan_conf.load(overrides={"enabled_drivers": ["fake", "ipmi"]})
    with pytest.raises(ValueError, match="unknown drivers: ipmi; installed: fake, ironic"):
        build_drivers(conf, db=None)  # type: ignore[arg-type]


def test_a_driver_is_built_once_when_first_asked_for():
    built: list[str] = []

    def factory() -> FakeDriver:
        built.append("fake")
        return FakeDriver(store=None)  # type: ignore[arg-type]

    registry = DriverRegistry({"fake": factory})
    assert built == []
    assert registry.get("fake") is registry.get("fake")
    assert built == ["fake"]
    # What the registry hands out is measured, and answers as the driver does.
    assert isinstance(registry.get("fake"), MeasuredDriver)
    assert registry.get("fake").name == "fake"


def _modules_loaded(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_process_loads_only_the_clients_of_what_it_uses(tmp_path):
    out = _modules_loaded(
        f"""
        import sys
        from mogan import conf
        from mogan.root import build
        mogan = build(conf.load(overrides={{"state_path": {str(tmp_path)!r}}}))
        heavy = (
            "sushy", "openstack", "keystoneauth1", "keystonemiddleware", "oslo_messaging",
            "psycopg",
        )
        print(sorted(m for m in heavy if m in sys.modules))
        mogan.drivers.get("redfish")
        print("sushy" in sys.modules)
        """
    )
    # The default (fake, redfish; noauth; notifications off; SQLite) loads none of them until
    # a Redfish node is first touched.
    assert out.splitlines() == ["[]", "True"]


def test_an_engine_process_loads_nothing_of_the_api(tmp_path):
    """``mogan engine`` is assembled without the HTTP API, its use cases or the dashboard:
    it serves none of them, and their modules would only take its memory."""
    out = _modules_loaded(
        f"""
        import sys
        from mogan import conf
        from mogan.cmd import processes
        from mogan.assembly import build_engine_process
        process = build_engine_process(conf.load(overrides={{"state_path": {str(tmp_path)!r}}}))
        process.drivers.get("fake")
        api = (
            "fastapi", "jinja2", "mogan.root", "mogan.api", "mogan.services", "mogan.dashboard",
            "alembic", "sqlalchemy.orm",
        )
        print(sorted(m for m in api if m in sys.modules), type(process.engine).__name__)
        process.close()
        """
    )
    assert out.splitlines() == ["[] Engine"]


def test_an_api_worker_loads_no_migration_tooling(tmp_path):
    """A ``mogan api`` worker checks the schema's revision without Alembic (and the Mako
    behind it): only ``mogan db upgrade`` and ``mogan serve`` migrate."""
    config = tmp_path / "mogan.conf"
    config.write_text(f"[DEFAULT]\nstate_path = {tmp_path}\n")
    out = _modules_loaded(
        f"""
        import os, sys
        from mogan.cmd import processes
        os.environ[processes.CONFIG_FILES_ENV] = {str(config)!r}
        processes.api_app()
        print(sorted(m for m in ("alembic", "mako") if m in sys.modules))
        """
    )
    assert out.splitlines()[-1] == "[]"


def test_an_api_worker_loads_the_dashboard_and_key_handling_only_when_used(tmp_path):
    """An API worker carries neither the engine, the dashboard (Jinja2, httpx), the config
    drive builder nor ``cryptography`` until something needs them: most workers of a region
    never render a page or see a key. The dashboard is built on its first request. The ORM
    is never loaded: the schema is Core tables. ``requests`` comes only with a policy rule
    that names oslo.policy's ``http:`` check (``tests/api/test_operations_config.py``)."""
    config = tmp_path / "mogan.conf"
    config.write_text(f"[DEFAULT]\nstate_path = {tmp_path}\n")
    out = _modules_loaded(
        f"""
        import asyncio, os, sys
        from mogan.cmd import processes
        os.environ[processes.CONFIG_FILES_ENV] = {str(config)!r}
        app = processes.api_app()
        lazy = (
            "mogan.engine", "mogan.dashboard.app", "jinja2", "httpx", "pycdlib", "cryptography",
            "sqlalchemy.orm", "requests",
        )
        print(sorted(m for m in lazy if m in sys.modules))
        sent = []
        async def receive():
            return {{"type": "http.request", "body": b"", "more_body": False}}
        async def send(message):
            sent.append(message)
        scope = {{
            "type": "http", "method": "GET", "path": "/dashboard/login", "raw_path": b"",
            "root_path": "", "query_string": b"", "headers": [(b"host", b"localhost")],
            "scheme": "http", "server": ("localhost", 80), "client": ("127.0.0.1", 1),
            "http_version": "1.1", "asgi": {{"version": "3.0"}},
        }}
        asyncio.run(app(scope, receive, send))
        built = ("mogan.dashboard.app", "jinja2")
        print(sent[0]["status"], sorted(m for m in built if m in sys.modules))
        """
    )
    assert out.splitlines()[-2:] == ["[]", "200 ['jinja2', 'mogan.dashboard.app']"]


def _arenas_after_threads_allocate(limit: int) -> int:
    out = _modules_loaded(
        f"""
        import ctypes, os, tempfile, threading
        from mogan.cmd import allocator
        allocator.limit_arenas({limit})
        barrier = threading.Barrier(8)
        def allocate():
            held = bytearray(64 << 10)  # below the mmap threshold: from an arena
            barrier.wait()
        threads = [threading.Thread(target=allocate) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        libc = ctypes.CDLL(None)
        libc.fopen.restype = ctypes.c_void_p
        path = tempfile.mktemp()
        stream = ctypes.c_void_p(libc.fopen(path.encode(), b"w"))
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        print(open(path).read().count("<heap nr="))
        os.unlink(path)
        """
    )
    return int(out.split()[-1])


def test_a_service_process_keeps_few_malloc_arenas():
    """``[DEFAULT] malloc_arenas``: eight threads allocating at once share the arenas allowed
    (glibc would otherwise give each its own, each keeping its high-water mark)."""
    assert _arenas_after_threads_allocate(2) <= 2
    assert _arenas_after_threads_allocate(0) > 2
