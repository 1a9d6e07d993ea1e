"""Small helpers every route uses: body parsing, the caller, links, collections, threads."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from mogan.core import jsontext
from mogan.core.errors import InvalidInput
from mogan.core.pagination import PageRequest
from mogan.services.context import RequestContext

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

PAGE_PARAMS = ("limit", "marker", "sort_key", "sort_dir")


def context(request: Request) -> RequestContext:
    built: RequestContext = request.app.state.identify(request)
    return built


def base_url(request: Request) -> str:
    """Where links in an answer point: ``[api] public_endpoint``, or the request's own base
    URL as Starlette reads it (scheme, ``Host`` header, root path)."""
    configured: str | None = request.app.state.public_endpoint
    if configured:
        return configured.rstrip("/")
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    server = scope.get("server")
    return _base_url_of(
        scope.get("scheme", "http"),
        host,
        scope.get("root_path", ""),
        tuple(server) if server is not None else None,
    )


@functools.lru_cache(maxsize=256)
def _base_url_of(
    scheme: str, host: bytes | None, root_path: str, server: tuple[Any, ...] | None
) -> str:
    """Starlette's ``Request.base_url`` for these parts, worked out once per distinct set:
    building it (a URL object, the ``Host`` header parsed) cost about a tenth of a GET of one
    instance. Bounded, as the ``Host`` header is the client's to choose."""
    scope = {
        "type": "http",
        "scheme": scheme,
        "root_path": root_path,
        "path": "/",
        "query_string": b"",
        "headers": [(b"host", host)] if host is not None else [],
        "server": server,
    }
    return str(Request(scope).base_url).rstrip("/")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        jsontext.dumps(body),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


async def call(request: Request, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a (blocking) service call off the event loop, on the app's service threads
    (``create_app``), in the caller's context (the request id its log lines carry)."""
    threads: ThreadPoolExecutor = request.app.state.service_threads
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(
        threads, functools.partial(context.run, function, *args, **kwargs)
    )


def limit_param(request: Request) -> int | None:
    """The ``limit`` query parameter, if given (``InvalidInput`` for a non-integer)."""
    raw = request.query_params.get("limit")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"Invalid value for 'limit': {raw!r} is not an integer.") from None


def page_request(request: Request) -> PageRequest:
    params = request.query_params
    return PageRequest(
        limit=limit_param(request),
        marker=params.get("marker"),
        sort_key=params.get("sort_key"),
        sort_dir=params.get("sort_dir", "asc").lower(),
    )


def filters(request: Request, reserved: tuple[str, ...]) -> dict[str, str]:
    return {
        k: v for k, v in request.query_params.items() if k not in reserved and k not in PAGE_PARAMS
    }


def _next_link(request: Request, next_marker: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "marker"]
    params.append(("marker", next_marker))
    return f"{base_url(request)}{request.url.path}?{urlencode(params)}"


def collection_response(
    request: Request,
    key: str,
    records: list[Any],
    render: Callable[[Any], Any],
    next_marker: str | None,
) -> Response:
    """``{key: [render(record), …]}`` plus a ``next`` link when more items remain (as Ironic
    does). Each record is rendered and encoded in turn and dropped from ``records`` (emptied)
    once written: a page of 1,000 instances never holds every row, every view and the encoded
    page at once, a high-water mark a worker's allocator would keep (``bench/README.md``)."""
    parts = []
    for index in range(len(records)):
        parts.append(jsontext.dumps(render(records[index])))
        records[index] = None
    records.clear()
    tail = b"]"
    if next_marker is not None:
        tail += b',"next":' + jsontext.dumps(_next_link(request, next_marker))
    body = b"".join((b"{", jsontext.dumps(key), b":[", b",".join(parts), tail, b"}"))
    return Response(body, media_type="application/json")
