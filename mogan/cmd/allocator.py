"""glibc's malloc, sized for a Python service process.

glibc gives each thread that allocates its own arena, up to eight a core, and an arena keeps
what was freed in it for reuse. An API worker's service threads (tens of them at a burst of
requests) and an engine's workers each leave an arena holding the high-water mark of what
they once did, memory the process never gives back. The GIL lets one thread run Python at a
time, so more arenas buy little: with two, a worker after ``bench.scale``'s runs holds about
5 MiB less at the same CPU per request (``bench/README.md``, "Memory").
"""

from __future__ import annotations

import ctypes
import logging
import platform

LOG = logging.getLogger(__name__)

#: ``mallopt``'s parameter for the most arenas (``<malloc.h>``).
M_ARENA_MAX = -8


def limit_arenas(count: int) -> None:
    """At most ``count`` malloc arenas in this process, from now on (0: glibc's own limit).

    Call it before the process starts its threads: an arena a thread already has is kept.
    Without glibc (musl, another OS) there is nothing to limit. ``MALLOC_ARENA_MAX`` in the
    environment, which glibc reads when the process starts, is overridden.
    """
    if count <= 0 or platform.libc_ver()[0] != "glibc":
        return
    if not ctypes.CDLL(None).mallopt(M_ARENA_MAX, count):
        LOG.warning("glibc refused to limit malloc to %d arenas", count)
