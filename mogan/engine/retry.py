"""Driver calls with retries where retrying can help."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from mogan.core.errors import DriverError

LOG = logging.getLogger(__name__)
T = TypeVar("T")


class Interrupted(Exception):
    """The engine is stopping; the operation is handed back to be resumed later."""


def call_with_retries(
    call: Callable[[], T], *, retries: int, interval: float, stopping: threading.Event, what: str
) -> T:
    """Run ``call``; on a retryable ``DriverError`` wait and try again, doubling the wait.

    Non-retryable errors, and the last retryable one, propagate unchanged.
    """
    attempt = 0
    while True:
        try:
            return call()
        except DriverError as exc:
            if not exc.retryable or attempt >= retries:
                raise
            delay = interval * (2**attempt)
            attempt += 1
            LOG.warning(
                "%s failed (%s); retry %d of %d in %.1fs",
                what,
                exc.message,
                attempt,
                retries,
                delay,
            )
            if stopping.wait(delay):
                raise Interrupted(what) from exc
