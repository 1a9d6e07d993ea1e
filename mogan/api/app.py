"""The ASGI application: routes, the error table, the request id, OpenAPI."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from mogan import __version__
from mogan.api import openapi
from mogan.api.errors import error_response, mogan_error_response
from mogan.api.hot import HotReads
from mogan.api.measure import MeasuredRequests
from mogan.api.middleware import GuardSettings, RequestGuard, RequestIdMiddleware
from mogan.api.paths import BookmarkPaths, RouteTable, requested_path
from mogan.api.routes import (
    admin,
    catalog,
    fleet,
    history,
    instances,
    keypairs,
    me,
    root,
    types,
    zones,
)
from mogan.core.errors import MoganError
from mogan.services.bundle import Services
from mogan.services.context import RequestContext
from mogan.services.schemas import describe_errors

_ROUTERS = (
    instances.router,
    history.router,
    types.router,
    zones.router,
    keypairs.router,
    fleet.router,
    admin.router,
    catalog.router,
    me.router,
)
ROUTE_TABLE = RouteTable(_ROUTERS)


def create_app(
    services: Services,
    *,
    identify: Callable[[Request], RequestContext],
    public_endpoint: str | None = None,
    authenticate: Callable[[ASGIApp], ASGIApp] | None = None,
    service_threads: int = 40,
    guard: GuardSettings | None = None,
) -> ASGIApp:
    """The API over ``services``; ``identify`` builds the caller's context from a request,
    after ``authenticate`` (middleware such as Keystone's) has let it through.

    From the outside in: the request's metrics, the request id, the guard (hosts, origins,
    sizes and types of bodies), authentication, bookmark paths onto ``/v1``, the hottest read
    (``hot.py``), and the FastAPI app with every route.
    """
    app = routes_app(services, identify=identify, public_endpoint=public_endpoint)
    # A plain executor rather than Starlette's ``run_in_threadpool``: anyio's per-call
    # bookkeeping (capacity limiter, cancel scope) cost a third more CPU per hop.
    app.state.service_threads = ThreadPoolExecutor(
        max_workers=service_threads, thread_name_prefix="mogan-api"
    )
    routed = BookmarkPaths(HotReads(app), ROUTE_TABLE.collections)
    authenticated: ASGIApp = authenticate(routed) if authenticate is not None else routed
    guard = guard or GuardSettings()
    return MeasuredRequests(
        RequestIdMiddleware(RequestGuard(authenticated, guard)),
        ROUTE_TABLE.template,
        frozenset(route.path for route in root.router.routes if isinstance(route, APIRoute)),
    )


def routes_app(
    services: Services,
    *,
    identify: Callable[[Request], RequestContext],
    public_endpoint: str | None = None,
) -> FastAPI:
    """The FastAPI app: every route, the error table and the OpenAPI document."""
    app = FastAPI(
        title="Mogan",
        version=__version__,
        description="Bare-metal compute API (v1). Errors use the OpenStack body "
        '{"error_message": "<JSON>"}. No string of a request (body, path or query) may '
        "hold a NUL (\\u0000) character; every string schema says so.",
        docs_url=None,
        redoc_url=None,
    )
    openapi.install(app)
    app.state.services = services
    app.state.identify = identify
    app.state.public_endpoint = public_endpoint
    app.include_router(root.router)
    for router in _ROUTERS:
        # Declared once, under /v1; ``BookmarkPaths`` serves the unversioned paths.
        app.include_router(router, prefix="/v1")

    @app.exception_handler(MoganError)
    async def mogan_error(_request: Request, exc: MoganError) -> Response:
        return mogan_error_response(exc)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = str(exc.detail)
        path = requested_path(request.scope)
        if exc.status_code == 404:
            message = f"The resource {path} could not be found."
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            message = f"Method {request.method} is not allowed on {path}."
            # Starlette names the methods of the first route whose path matched; a path's
            # methods are often declared as several routes.
            headers["Allow"] = ", ".join(ROUTE_TABLE.allowed_methods(request.url.path))
        return error_response(exc.status_code, message, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> Response:
        return error_response(400, describe_errors(exc.errors()))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, _exc: Exception) -> Response:
        request_id = request.scope.get("state", {}).get("request_id", "")
        return error_response(
            500,
            "An unexpected error occurred; the request id "
            f"{request_id} identifies it in the service's logs.",
        )

    return app
