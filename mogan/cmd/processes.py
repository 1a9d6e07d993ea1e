"""``mogan api`` (the HTTP API in N worker processes) and ``mogan engine`` (one engine).

Run any number of each, on any hosts, against one PostgreSQL database.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

import uvicorn
from oslo_config import cfg
from starlette.types import ASGIApp

from mogan import conf as mogan_conf
from mogan.assembly import build_database, build_engine_process, metrics_files_root
from mogan.cmd import allocator, logs, schema
from mogan.db.database import Database

LOG = logging.getLogger("mogan.cmd")

#: How ``mogan api`` hands its configuration files to the worker processes it spawns.
CONFIG_FILES_ENV = "MOGAN_API_CONFIG_FILES"


def run_api(conf: cfg.ConfigOpts, config_files: list[str]) -> int:
    db = build_database(conf)
    schema.require_current(db)
    db.dispose()
    if conf.metrics.api_port:
        _serve_metrics(conf, conf.metrics.api_port, build_database(conf))
    os.environ[CONFIG_FILES_ENV] = os.pathsep.join(os.path.abspath(f) for f in config_files)
    print(
        f"Mogan API: http://{conf.api.host_ip}:{conf.api.port}/v1 ({conf.api.workers} workers)",
        flush=True,
    )
    uvicorn.run(
        "mogan.cmd.processes:api_app",
        factory=True,
        host=conf.api.host_ip,
        port=conf.api.port,
        workers=conf.api.workers,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=conf.api.keepalive_timeout,
    )
    return 0


def api_app() -> ASGIApp:
    """Builds one API worker (called by uvicorn in each worker process)."""
    files = [f for f in os.environ.get(CONFIG_FILES_ENV, "").split(os.pathsep) if f]
    conf = mogan_conf.load(files)
    logs.setup(conf.debug, conf.log_format)
    allocator.limit_arenas(conf.malloc_arenas)  # a spawned worker: before its service threads
    from mogan.root import build  # the API's parts: never imported by an engine

    return build(conf, with_engine=False).app


def run_engine(conf: cfg.ConfigOpts) -> int:
    process = build_engine_process(conf)
    schema.require_current(process.db)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    process.engine.start()
    _serve_metrics(conf, conf.metrics.engine_port, None)
    print(f"Mogan engine {process.engine.id} running", flush=True)
    stop.wait()
    LOG.info("Stopping: unfinished operations are handed back")
    process.close()
    return 0


def _serve_metrics(conf: cfg.ConfigOpts, port: int, db: Database | None) -> None:
    """Serve ``/metrics`` on ``[metrics] host``:``port`` (no authentication), from a thread of
    this process: the metric files of this host's processes and, given a database, the fleet."""
    root = metrics_files_root()
    if not port or root is None:
        return
    from prometheus_client import CollectorRegistry, start_http_server

    from mogan.core.metrics import ProcessFiles

    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProcessFiles(root))
    if db is not None:  # an API's port: the fleet as the database counts it
        from mogan.services.metrics import FleetCollector

        registry.register(FleetCollector(db))
    start_http_server(port, conf.metrics.host, registry=registry)
    LOG.info("Metrics served on http://%s:%d/metrics", conf.metrics.host, port)
