"""Benchmarks: each module is one command that prints a Markdown table (bench/README.md).

Every one takes ``--quick``: the same run at sizes small enough to finish in well under two
minutes, which CI runs (``python -m bench.smoke``) so that no benchmark rots unseen.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def parse(parser: argparse.ArgumentParser, **quick: Any) -> argparse.Namespace:
    """The command line, with ``--quick`` setting each option named in ``quick`` to its value
    (an option also given on the command line keeps the value given)."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run at tiny sizes: "
        + ", ".join(f"--{name.replace('_', '-')} {value}" for name, value in quick.items()),
    )
    args = parser.parse_args()
    if args.quick:
        given = {a.split("=", 1)[0] for a in sys.argv[1:] if a.startswith("--")}
        for name, value in quick.items():
            if f"--{name.replace('_', '-')}" not in given:
                setattr(args, name, value)
    return args


def start_shipped(
    workdir: Path, command: list[str], *, api: dict[str, Any] | None = None, migrate: bool = False
) -> tuple[subprocess.Popen[bytes], str]:
    """``mogan <command>`` from the console script on a SQLite database in ``workdir``, with the
    configuration as shipped but for ``[api]`` ``api`` (and its port), once it answers; its
    process (in a session of its own) and URL. ``migrate`` creates the schema first, which
    ``mogan api`` needs. The tests' ``MoganProcess`` sets test timings and small pools;
    a benchmark of the defaults starts it this way."""
    from tests.functional.process import free_port, write_config

    port = free_port()
    config = write_config(
        workdir / "mogan.conf",
        {"DEFAULT": {"state_path": str(workdir)}, "api": {**(api or {}), "port": port}},
    )
    mogan = str(Path(sys.executable).with_name("mogan"))
    if migrate:
        subprocess.run(
            [mogan, "--config-file", str(config), "db", "upgrade"], check=True, capture_output=True
        )
    process = subprocess.Popen(
        [mogan, "--config-file", str(config), *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/v1", timeout=1).raise_for_status()
            return process, url
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                stop(process)
                raise RuntimeError(f"mogan {' '.join(command)} did not start") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's session, and wait for it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(30)
