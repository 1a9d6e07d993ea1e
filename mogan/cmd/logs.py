"""Logging set-up: every line carries the request id of the request it belongs to, as text or,
for log shippers, as one JSON object per line (``log_format``)."""

from __future__ import annotations

import logging
import sys

from mogan.core.logcontext import RequestIdFilter, ScrubFilter

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request_id)s] %(message)s"
#: The record's fields a JSON line carries, and the names they take there.
JSON_FIELDS = "%(asctime)s %(process)d %(levelname)s %(name)s %(request_id)s %(message)s"
JSON_NAMES = {"asctime": "timestamp", "levelname": "level", "name": "logger"}


def setup(debug: bool, log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ScrubFilter())  # before formatting: JSON lines are scrubbed alike
    handler.setFormatter(_formatter(log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for noisy in ("uvicorn.access", "sqlalchemy", "alembic", "sushy", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _formatter(log_format: str) -> logging.Formatter:
    if log_format != "json":
        return logging.Formatter(FORMAT)
    from pythonjsonlogger.json import JsonFormatter

    formatter: logging.Formatter = JsonFormatter(
        JSON_FIELDS, rename_fields=JSON_NAMES, json_ensure_ascii=False
    )
    formatter.default_msec_format = "%s.%03d"
    return formatter
