"""Runs every benchmark at its ``--quick`` size, one after the other, and says which ran to
completion (CI runs this; it times nothing, it proves the benchmarks still run).

    .venv/bin/python -m bench.smoke
"""

from __future__ import annotations

import subprocess
import sys
import time

#: Each benchmark module, with what it needs beyond ``--quick``.
BENCHMARKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bench.memory", ()),
    ("bench.embedded", ()),
    ("bench.reads", ()),
    ("bench.dashboard", ()),
    ("bench.power_sync", ()),
    ("bench.power_region", ()),
    ("bench.inventory_sync", ()),
    ("bench.fair_share", ()),
    ("bench.scale", ("--profile",)),  # its py-spy recording too
    ("bench.ironic_deploy", ()),
)
TIMEOUT = 600


def main() -> int:
    rows, failed = [], []
    for module, extra in BENCHMARKS:
        start = time.monotonic()
        try:
            run = subprocess.run(
                [sys.executable, "-m", module, "--quick", *extra],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
            outcome = "ran" if run.returncode == 0 else f"exit {run.returncode}"
            output = run.stdout + run.stderr
        except subprocess.TimeoutExpired as exc:
            outcome, output = f"not done in {TIMEOUT} s", f"{exc.stdout or ''}{exc.stderr or ''}"
        rows.append((module, f"{time.monotonic() - start:.0f} s", outcome))
        if outcome != "ran":
            failed.append((module, output))
    print("| benchmark | time | outcome |\n| --- | ---: | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    for module, output in failed:
        print(f"\n== {module} failed; its last output:\n{output[-4000:]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
