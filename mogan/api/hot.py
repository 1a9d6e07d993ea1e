"""The hottest read, answered without FastAPI's per-request machinery.

``GET /v1/instances/{uuid}`` is what clients poll while an instance builds or changes power
(``openstack server create --wait``, Terraform, orchestration loops), many times per instance.
Through FastAPI, matching the path against the routes, solving the endpoint's dependencies and
passing the exception middlewares cost more than the read itself: without this, GET one
serves about a quarter fewer requests (bench/README.md, "GET one without its fast path").

``HotReads`` sits where FastAPI would be called (inside authentication, so a Keystone token is
still checked on every request, and behind ``BookmarkPaths``, so the unversioned path comes
here too) and answers that one route with the route's own function (``instance_response``):
the same service call, view and error table, and the same route in the OpenAPI document.
Anything else (another method, a trailing slash, a path it does not own) passes through
untouched.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from mogan.api.errors import mogan_error_response
from mogan.api.http import context
from mogan.api.routes.instances import instance_response
from mogan.api.usecases import UseCases
from mogan.core.errors import MoganError

#: ``/v1/instances/{ident}``, but not ``/v1/instances/detail`` (the detail list).
_SHOW_INSTANCE = re.compile(r"/v1/instances/(?!detail$)([^/]+)")


class HotReads:
    """ASGI: answers ``GET /v1/instances/{ident}`` itself and hands the rest to ``app``."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = _SHOW_INSTANCE.fullmatch(scope["path"])
            if match is not None:
                await self._show_instance(scope, receive, send, match.group(1))
                return
        await self.app(scope, receive, send)

    async def _show_instance(self, scope: Scope, receive: Receive, send: Send, ident: str) -> None:
        # As Starlette does on entry: the routes' helpers find the app's state through it.
        scope["app"] = self.app
        try:
            request = Request(scope, receive)
            response = await instance_response(request, UseCases(request, context(request)), ident)
        except MoganError as exc:
            response = mogan_error_response(exc)
        await response(scope, receive, send)
