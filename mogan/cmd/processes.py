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
from mogan.cmd import logs, schema
from mogan.root import build, build_database

LOG = logging.getLogger("mogan.cmd")

#: How ``mogan api`` hands its configuration files to the worker processes it spawns.
CONFIG_FILES_ENV = "MOGAN_API_CONFIG_FILES"


def run_api(conf: cfg.ConfigOpts, config_files: list[str]) -> int:
    db = build_database(conf)
    schema.require_current(db)
    db.dispose()
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
    )
    return 0


def api_app() -> ASGIApp:
    """Builds one API worker (called by uvicorn in each worker process)."""
    files = [f for f in os.environ.get(CONFIG_FILES_ENV, "").split(os.pathsep) if f]
    conf = mogan_conf.load(files)
    logs.setup(conf.debug)
    return build(conf, with_engine=False).app


def run_engine(conf: cfg.ConfigOpts) -> int:
    mogan = build(conf)
    schema.require_current(mogan.db)
    assert mogan.engine is not None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    mogan.engine.start()
    print(f"Mogan engine {mogan.engine.id} running", flush=True)
    stop.wait()
    LOG.info("Stopping: unfinished operations are handed back")
    mogan.close()
    return 0
