"""Where a request goes: one route table under ``/v1``, reached from every path it answers.

Every route is declared once, under ``/v1``. The unversioned ("bookmark") paths the links of
every resource give (``/instances/{uuid}``) answer the same: ``BookmarkPaths`` maps them onto
``/v1`` before routing, so each request is matched against the table once.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

VERSION_PREFIX = "/v1"
#: Where the scope keeps the path the client asked for, when it was mapped onto ``/v1``.
REQUESTED_PATH = "mogan.requested_path"


def requested_path(scope: Scope) -> str:
    """The path as the client sent it (error messages quote it)."""
    return str(scope.get(REQUESTED_PATH, scope["path"]))


class RouteTable:
    """The routes of ``routers`` as served under ``/v1``: their collections and, for any
    path, the methods some route answers there."""

    def __init__(self, routers: Iterable[APIRouter]) -> None:
        routes = [route for router in routers for route in router.routes]
        self.collections = frozenset(
            route.path.split("/")[1] for route in routes if isinstance(route, APIRoute)
        )
        self._methods = [
            (
                compile_path(VERSION_PREFIX + route.path)[0],
                route.path.count("{"),
                frozenset(route.methods or ()),
            )
            for route in routes
            if isinstance(route, APIRoute)
        ]

    def allowed_methods(self, path: str) -> list[str]:
        """The methods the path answers (the ``Allow`` of a 405), as the OpenAPI document
        has them: of its most literal matching template (``/nodes/sync``, not
        ``/nodes/{node_ident}``), all the routes declared for it."""
        matching = [
            (params, methods) for regex, params, methods in self._methods if regex.match(path)
        ]
        if not matching:
            return []
        fewest = min(params for params, _ in matching)
        return sorted({m for params, methods in matching if params == fewest for m in methods})


class BookmarkPaths:
    """ASGI: ``/{collection}/…`` is served as ``/v1/{collection}/…``."""

    def __init__(self, app: ASGIApp, collections: Iterable[str]) -> None:
        self.app = app
        self._collections = frozenset(collections)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            first = path.split("/", 2)[1] if path.startswith("/") else ""
            if first in self._collections:
                scope = {**scope, "path": VERSION_PREFIX + path, REQUESTED_PATH: path}
                if scope.get("raw_path"):
                    scope["raw_path"] = VERSION_PREFIX.encode() + scope["raw_path"]
        await self.app(scope, receive, send)
