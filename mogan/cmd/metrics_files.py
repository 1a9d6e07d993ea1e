"""Each process's own directory of metric files, set up before ``prometheus_client`` is
imported (it reads ``PROMETHEUS_MULTIPROC_DIR`` once, at import).

Under ``[metrics] directory``: ``api/`` for a ``mogan api`` and the workers it spawns (cleared
when it starts), ``engine-<pid>/`` for each ``mogan engine`` (the directories of engines no
longer running are removed when another starts). ``GET /metrics`` adds up the files of all
of them (``mogan.services.metrics``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys

from oslo_config import cfg

from mogan import conf as mogan_conf

LOG = logging.getLogger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(conf: cfg.ConfigOpts, role: str) -> str | None:
    """This process's directory (``role`` is ``api`` or ``engine``), made and named in the
    environment, which the API's workers inherit; None when it is too late (already counted
    in memory: a test that builds Mogan in its own process)."""
    if "prometheus_client" in sys.modules and ENV not in os.environ:
        LOG.warning("Metrics are counted in this process only: prometheus_client came first")
        return None
    root = mogan_conf.metrics_directory(conf)
    if role == "api":
        directory = os.path.join(root, "api")
        shutil.rmtree(directory, ignore_errors=True)
    else:
        directory = os.path.join(root, f"engine-{os.getpid()}")
        _remove_departed_engines(root)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.environ[ENV] = directory
    return directory


def _remove_departed_engines(root: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(root):
            pid = name.removeprefix("engine-")
            if name.startswith("engine-") and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(os.path.join(root, name), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
