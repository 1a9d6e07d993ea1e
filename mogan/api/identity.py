"""Who is calling, from the request (``noauth``: trusted headers)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from mogan.core.errors import InvalidInput, NotAuthenticated
from mogan.services.context import RequestContext

#: The longest project or user id a header may carry (the database's column).
MAX_ID_LENGTH = 255


@dataclass(frozen=True)
class NoAuthDefaults:
    """The caller of a request that names none, if the operator configured one (never an
    admin); None: such a request is anonymous and refused with 401."""

    project_id: str | None
    user_id: str | None
    roles: tuple[str, ...]


def noauth_context(request: Request, defaults: NoAuthDefaults) -> RequestContext:
    """``X-Project-Id``, ``X-User-Id``, ``X-Roles`` name the caller. Without them the request
    is anonymous (``NotAuthenticated``), unless ``[noauth] default_project_id`` names a
    default caller. Roles or a user without a project are refused (``InvalidInput``) rather
    than silently made the default caller."""
    headers = request.headers
    request_id = request.scope.get("state", {}).get("request_id", "")
    project = headers.get("x-project-id")
    user = headers.get("x-user-id", "")
    for name, value in (("X-Project-Id", project or ""), ("X-User-Id", user)):
        if len(value) > MAX_ID_LENGTH:
            raise InvalidInput(f"{name} is longer than {MAX_ID_LENGTH} characters.")
    if not project:
        stated = [name for name in ("X-Roles", "X-User-Id") if headers.get(name)]
        if stated:
            # Falling back to the default caller would hand a caller who asked for something
            # else what they did not ask for.
            raise InvalidInput(
                f"{' and '.join(stated)} given without X-Project-Id: a caller who states "
                "its roles or user must state its project too."
            )
        if defaults.project_id is None:
            raise NotAuthenticated(
                "Authentication required: this Mogan runs without Keystone (noauth); name "
                "the caller with X-Project-Id, X-User-Id and X-Roles headers."
            )
        return RequestContext(
            defaults.project_id, defaults.user_id or "", defaults.roles, request_id
        )
    roles = tuple(r.strip().lower() for r in headers.get("x-roles", "").split(",") if r.strip())
    return RequestContext(project, user, roles, request_id)
