"""The dashboard application (``mogan.dashboard.mount`` puts it beside the API)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from mogan.dashboard.backend import Backend
from mogan.dashboard.pages import auth, catalog, fleet, instances
from mogan.dashboard.settings import DashboardSettings
from mogan.dashboard.web import Dashboard, SecurityHeaders, redirect


async def _home(request: Request) -> Response:
    return redirect(request, "/instances")


def create_dashboard(api: ASGIApp, settings: DashboardSettings) -> Starlette:
    """The dashboard's pages (mounted at ``settings.path``), calling ``api`` in-process."""
    routes = [
        Route("/", _home),
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/instances", instances.list_instances, methods=["GET"]),
        Route("/instances", instances.create_instance, methods=["POST"]),
        Route("/instances/rows", instances.instance_rows),
        Route("/instances/new", instances.new_instance),
        Route("/instances/{uuid}", instances.show_instance),
        Route("/instances/{uuid}/live", instances.instance_live),
        Route("/instances/{uuid}/console", instances.console, methods=["GET"]),
        Route("/instances/{uuid}/confirm/{action}", instances.confirm),
        Route("/instances/{uuid}/{action}", instances.act, methods=["POST"]),
        Route("/fleet", fleet.fleet),
        Route("/fleet/tiles", fleet.tiles),
        Route("/nodes/{ident}", fleet.show_node),
        Route("/nodes/{ident}/{action}", fleet.node_action, methods=["POST"]),
        Route("/types", catalog.types),
        Route("/images", catalog.images),
        Route("/networks", catalog.networks),
        Mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static")))),
    ]
    backend = Backend(api)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await backend.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.dashboard = Dashboard(settings, backend)
    app.add_middleware(SecurityHeaders)
    return app
