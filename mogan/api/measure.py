"""ASGI: each API request counted and timed, by method, route template and status
(``mogan_api_request_duration_seconds``).

The route is the template the path matches (``/v1/instances/{instance_uuid}``; a bookmark path
counts as its ``/v1`` route), never the path itself, so the series stay as few as the routes;
a path no route matches counts as ``unmatched``. The time is from the request's arrival to the
end of its response.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mogan.core.metrics import API_REQUESTS


class MeasuredRequests:
    def __init__(
        self, app: ASGIApp, template: Callable[[str], str | None], literal: frozenset[str]
    ) -> None:
        """``template`` names the route of a ``/v1`` path; ``literal``: paths that are their
        own template (``/``, ``/healthcheck``…)."""
        self.app = app
        self._template = template
        self._literal = literal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client sees when the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            API_REQUESTS.labels(scope["method"], self._route(scope["path"]), str(status)).observe(
                time.perf_counter() - start
            )

    def _route(self, path: str) -> str:
        if path in self._literal:
            return path
        return self._template(path) or "unmatched"
