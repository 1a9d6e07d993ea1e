"""The use cases as a route calls them: a FastAPI dependency that knows the caller.

``use(use.services.nodes.get, ident)`` runs ``NodeService.get(caller, ident)`` on the app's
service threads, off the event loop, in the request's context (the request id its log lines
carry); the caller is passed first, as every service method takes it. ``Use`` serves any
caller (the service authorizes the call); ``allowed_to(rule)`` authorizes ``rule`` first, so
a caller who may never do something is told 403 before anything about their body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

from fastapi import Depends
from starlette.requests import Request

from mogan.api.http import base_url, call, context
from mogan.services.bundle import Services
from mogan.services.context import RequestContext

P = ParamSpec("P")
T = TypeVar("T")


class UseCases:
    """The services, for one request's caller."""

    def __init__(self, request: Request, caller: RequestContext) -> None:
        self.request = request
        self.caller = caller
        self.services: Services = request.app.state.services

    @property
    def base(self) -> str:
        """Where links in the answer point (``[api] public_endpoint``, or the request's)."""
        return base_url(self.request)

    async def __call__(
        self,
        function: Callable[Concatenate[RequestContext, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        return await call(self.request, function, self.caller, *args, **kwargs)


async def _any_caller(request: Request) -> UseCases:
    return UseCases(request, context(request))


#: A route's use cases, for whoever calls (each service authorizes its own calls).
Use = Annotated[UseCases, Depends(_any_caller)]


def allowed_to(rule: str) -> Any:
    """A route's use cases, once policy allows the caller ``rule`` on their own project's
    resources. FastAPI solves dependencies before it validates a body, so a caller who may
    never do something is told 403 before a 400 about their body; the service checks again
    against the real target (another project's resource is still 404 there)."""

    async def authorized(request: Request) -> UseCases:
        caller = context(request)
        request.app.state.services.policy.authorize(rule, caller)
        return UseCases(request, caller)

    return Depends(authorized)
