"""Logging set-up: every line carries the request id of the request it belongs to."""

from __future__ import annotations

import logging
import sys

from mogan.core.logcontext import RequestIdFilter, ScrubFilter

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request_id)s] %(message)s"


def setup(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ScrubFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for noisy in ("uvicorn.access", "sqlalchemy", "alembic", "sushy", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
