"""Where a request goes: one route table under ``/v1``, reached from every path it answers.

Every route is declared once, under ``/v1``. The unversioned ("bookmark") paths the links of
every resource give (``/instances/{uuid}``) answer the same: ``BookmarkPaths`` maps them onto
``/v1`` before routing, so each request is matched against the table once.
"""

from __future__ import annotations

from collections.abc import Iterable
from re import Pattern

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
        routes = [
            route for router in routers for route in router.routes if isinstance(route, APIRoute)
        ]
        self.collections = frozenset(route.path.split("/")[1] for route in routes)
        #: collection → its routes as (regex, path parameters, methods, template): a path is
        #: matched against its own collection's few routes, on every request (``measure``).
        self._by_collection: dict[str, list[tuple[Pattern[str], int, frozenset[str], str]]] = {}
        for route in routes:
            template = VERSION_PREFIX + route.path
            self._by_collection.setdefault(route.path.split("/")[1], []).append(
                (
                    compile_path(template)[0],
                    route.path.count("{"),
                    frozenset(route.methods or ()),
                    template,
                )
            )

    def _matching(self, path: str) -> list[tuple[int, frozenset[str], str]]:
        collection = path.split("/")[2] if path.count("/") >= 2 else ""
        return [
            (params, methods, template)
            for regex, params, methods, template in self._by_collection.get(collection, ())
            if regex.match(path)
        ]

    def template(self, path: str) -> str | None:
        """The most literal route template matching ``path`` (``/v1/…``, or a bookmark path
        without the prefix), as ``/v1/instances/{instance_uuid}``; None when none does."""
        if not path.startswith(VERSION_PREFIX + "/"):
            path = VERSION_PREFIX + path
        matching = self._matching(path)
        return min((params, template) for params, _, template in matching)[1] if matching else None

    def allowed_methods(self, path: str) -> list[str]:
        """The methods the path answers (the ``Allow`` of a 405), as the OpenAPI document
        has them: of its most literal matching template (``/nodes/sync``, not
        ``/nodes/{node_ident}``), all the routes declared for it."""
        matching = self._matching(path)
        if not matching:
            return []
        fewest = min(params for params, _, _ in matching)
        return sorted({m for params, methods, _ in matching if params == fewest for m in methods})


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
