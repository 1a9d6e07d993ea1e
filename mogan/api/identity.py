"""Who is calling, from the request (``noauth``: trusted headers)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from mogan.core.errors import InvalidInput
from mogan.services.context import RequestContext


@dataclass(frozen=True)
class NoAuthDefaults:
    project_id: str
    user_id: str
    roles: tuple[str, ...]


def noauth_context(request: Request, defaults: NoAuthDefaults) -> RequestContext:
    """``X-Project-Id``, ``X-User-Id``, ``X-Roles`` name the caller; with none of them the
    configured default caller (an admin, out of the box) acts. Roles or a user without a
    project are refused (``InvalidInput``) rather than silently made the default caller."""
    headers = request.headers
    request_id = request.scope.get("state", {}).get("request_id", "")
    project = headers.get("x-project-id")
    if not project:
        stated = [name for name in ("X-Roles", "X-User-Id") if headers.get(name)]
        if stated:
            # Falling back to the default caller (an admin, out of the box) would hand a
            # caller who asked for less far more than they asked for.
            raise InvalidInput(
                f"{' and '.join(stated)} given without X-Project-Id: a caller who states "
                "its roles or user must state its project too."
            )
        return RequestContext(defaults.project_id, defaults.user_id, defaults.roles, request_id)
    roles = tuple(r.strip().lower() for r in headers.get("x-roles", "").split(",") if r.strip())
    return RequestContext(project, headers.get("x-user-id", ""), roles, request_id)
