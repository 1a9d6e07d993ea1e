"""The request id of the work at hand, for every log line (API requests and engine steps)."""

from __future__ import annotations

import contextvars
import logging
import re

from mogan.core import hosts, secrets

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Adds ``%(request_id)s`` to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def escape_controls(text: str) -> str:
    """``text`` on one line: control characters (a newline, a carriage return, an escape)
    written as ``\\xNN``, so what a client sent can never forge a log line or a terminal."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


class ScrubFilter(logging.Filter):
    """Makes every record's message safe to write: no URL credentials or ``password=…``,
    no control characters. (A traceback is formatted apart, and keeps its lines.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = escape_controls(secrets.scrub(hosts.for_operator(message)))
        if safe != message or record.args:
            record.msg, record.args = safe, None
        return True
