"""Virtualenvs for real peers (Ironic, Keystone), built once per machine and reused.

They live under ``$MOGAN_PEERS_CACHE`` (default ``~/.cache/mogan-peers``), named after their
pinned requirements, so a change of pins builds a new one. A lock file serialises builders
(two test runs on one machine); the ``.complete`` marker is written last, so an interrupted
build is redone rather than trusted. A failed install raises ``PeerFailed`` with pip's words:
a test needing the peer then fails loudly instead of passing by doing nothing.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


class PeerFailed(RuntimeError):
    """A real peer could not be installed or started; the message says why."""


def cache_dir() -> Path:
    return Path(os.environ.get("MOGAN_PEERS_CACHE", Path.home() / ".cache" / "mogan-peers"))


def peer_virtualenv(name: str, requirements: Sequence[str]) -> Path:
    """The cached virtualenv holding ``requirements``, built on first use."""
    tag = "-".join(r.replace("==", "") for r in requirements)
    venv = cache_dir() / f"{name}-{tag}"
    marker = venv / ".complete"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.with_name(venv.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        result = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", *requirements],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise PeerFailed(f"pip install of {name} failed:\n{result.stderr[-3000:]}")
        marker.write_text("\n".join(requirements) + "\n")
    return venv
