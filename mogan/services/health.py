"""Whether this process can serve: what ``GET /healthcheck`` reports to load balancers."""

from __future__ import annotations

import logging

from mogan.core.errors import ServiceUnavailable
from mogan.db.database import Database

LOG = logging.getLogger(__name__)


class HealthService:
    """The API process is healthy when its database answers (every route needs it)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def database_reachable(self) -> bool:
        """One trivial query on a pooled connection; never raises. Open to anyone: it says
        nothing but yes or no."""
        try:
            self._db.ping()
        except ServiceUnavailable as exc:
            LOG.warning("Health check: the database cannot be reached: %s", exc.message)
            return False
        return True
