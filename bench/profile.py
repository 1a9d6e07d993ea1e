"""Where a benchmark's CPU goes: py-spy flame graphs of running processes, and a table of
their samples by the library (or Mogan package) of the innermost frame.

``bench.scale --profile [DIR]`` records its API workers and engines during a phase; ``Spy``
is usable around any phase of any benchmark. py-spy samples the processes from outside and
keeps only the thread holding the GIL (``--gil``): the Python work a process does, which one
core per process bounds. Read the table's shares, not its counts: on a virtual machine
py-spy sees the GIL held far less often than the CPU time says (a check with three busy
threads: 13 samples in 4 s for 23 % of a core), and without ``--gil`` it counts threads
blocked in ``time.sleep`` or a futex as running. It needs ptrace rights over the processes
(root, or ``kernel.yama.ptrace_scope`` 0).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import TracebackType

#: py-spy's frame as ``raw`` writes it: ``function (path/of/file.py:line)``.
_FILE_OF_FRAME = "("


def py_spy() -> str:
    """The py-spy executable of this environment (``pip install py-spy``), or a clear error."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    return found


class Spy:
    """Records each of ``targets`` (label → pid, each with its child processes) from entering
    to leaving: ``{out}/{phase}-{label}.svg`` (a flame graph, opened in any browser) and
    ``.txt`` (the same samples as collapsed stacks, the format of flamegraph.pl and
    speedscope, which ``components`` reads)."""

    RATE = 100  # samples a second: py-spy's default, light enough beside the measured load

    def __init__(self, out: Path, phase: str, targets: dict[str, int]) -> None:
        self.out, self.phase, self.targets = out, phase, targets
        self._recorders: list[subprocess.Popen[bytes]] = []

    def raw(self, label: str) -> Path:
        return self.out / f"{self.phase}-{label}.txt"

    def __enter__(self) -> Spy:
        self.out.mkdir(parents=True, exist_ok=True)
        executable = py_spy()
        for label, pid in self.targets.items():
            spy = [executable, "record", "--pid", str(pid), "--subprocesses", "--gil"]
            for fmt, path in (
                ("flamegraph", self.out / f"{self.phase}-{label}.svg"),
                ("raw", self.raw(label)),
            ):
                command = [*spy, "--rate", str(self.RATE), "--format", fmt, "--output", str(path)]
                self._recorders.append(
                    subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # py-spy writes its file when interrupted, as after Ctrl-C.
        for recorder in self._recorders:
            recorder.send_signal(signal.SIGINT)
        for recorder in self._recorders:
            _, stderr = recorder.communicate(timeout=60)
            if recorder.returncode != 0 and kind is None:
                raise RuntimeError(f"py-spy failed: {stderr.decode(errors='replace')[-2000:]}")


def component(frame: str) -> str:
    """Who a frame belongs to: ``mogan.db`` for Mogan's modules (by package), else the
    library or standard module (``sqlalchemy``, ``psycopg``, ``logging``, ``threading``)."""
    location = frame.rpartition(_FILE_OF_FRAME)[2]
    path = location.split(":", 1)[0].strip("<>").split("/")
    if path[0] == "mogan" and len(path) > 2:
        return f"mogan.{path[1]}"
    return path[0].removesuffix(".py") or "?"


def components(raw: Path) -> Counter[str]:
    """Samples by the component of their innermost frame (the CPU each one spent itself)."""
    spent: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            spent[component(stack.rsplit(";", 1)[-1])] += int(count)
    return spent


def share_table(spies: list[Spy], top: int = 8) -> str:
    """A markdown table: for each phase and process, the top components' share of its
    samples."""
    lines = [
        "| phase | processes | GIL samples | where (share of the samples) |",
        "| --- | --- | ---: | --- |",
    ]
    for spy in spies:
        for label in spy.targets:
            spent = components(spy.raw(label))
            total = sum(spent.values()) or 1
            where = ", ".join(
                f"{name} {count / total:.0%}" for name, count in spent.most_common(top)
            )
            lines.append(f"| {spy.phase} | {label} | {total:,} | {where} |")
    return "\n".join(lines)
