"""How the dashboard sits beside the API in one ASGI app, built when first asked for.

Kept apart from ``mogan.dashboard.app`` so that mounting it imports nothing of the dashboard:
its pages, Jinja2 and httpx (which loads rich and pygments when they are installed) cost an
API worker several MiB, and most API workers of a region never serve a dashboard page.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send


class WithDashboard:
    """Requests under the dashboard's path go to it; every other one to the API.

    ``build`` makes the dashboard; it is called once, on the first request under the path
    (or the first lifespan event). The check and the assignment have no ``await`` between
    them, so concurrent first requests on one event loop build it once.
    """

    def __init__(self, api: ASGIApp, build: Callable[[], ASGIApp], path: str) -> None:
        self._api = api
        self._build = build
        self._dashboard: ASGIApp | None = None
        self._path = path.rstrip("/")

    @property
    def dashboard(self) -> ASGIApp:
        """The dashboard application, built now if it has not been yet."""
        if self._dashboard is None:
            self._dashboard = self._build()
        return self._dashboard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.dashboard(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path == self._path or path.startswith(self._path + "/"):
            # The ASGI way to mount: the path stays whole, the prefix is the root path.
            inner = dict(scope)
            inner["root_path"] = scope.get("root_path", "") + self._path
            await self.dashboard(inner, receive, send)
            return
        await self._api(scope, receive, send)
