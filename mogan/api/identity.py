"""Who is calling, from the request (``noauth``: trusted headers)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from mogan.services.context import RequestContext


@dataclass(frozen=True)
class NoAuthDefaults:
    project_id: str
    user_id: str
    roles: tuple[str, ...]


def noauth_context(request: Request, defaults: NoAuthDefaults) -> RequestContext:
    """``X-Project-Id``, ``X-User-Id``, ``X-Roles`` name the caller; without a project the
    configured default caller (an admin, out of the box) acts."""
    headers = request.headers
    request_id = request.scope.get("state", {}).get("request_id", "")
    project = headers.get("x-project-id")
    if not project:
        return RequestContext(defaults.project_id, defaults.user_id, defaults.roles, request_id)
    roles = tuple(r.strip().lower() for r in headers.get("x-roles", "").split(",") if r.strip())
    return RequestContext(project, headers.get("x-user-id", ""), roles, request_id)
