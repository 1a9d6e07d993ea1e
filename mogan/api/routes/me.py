"""``GET /v1/me``: who the caller is, and what the policy lets them do in their project.

For user interfaces (the dashboard) that must not offer what the API would refuse: the
answer is the same policy, evaluated for the caller on their own project's resources.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mogan.api.errors import documented
from mogan.api.http import context, json_response
from mogan.services.policy import list_rules
from mogan.wire import bodies

router = APIRouter()


@router.get(
    "/me",
    response_model=bodies.Caller,
    tags=["caller"],
    summary="Who the caller is and which policy rules allow them what in their own project",
    description="`allowed` maps every API rule (`mogan:instance:create`…) to whether the "
    "policy lets the caller do it on their own project's resources. The API still checks "
    "each request; this is for interfaces that offer only what would succeed.",
    responses=documented(400, 401, 503),
)
async def show_me(request: Request) -> Response:
    caller = context(request)
    policy = request.app.state.services.policy
    allowed = {
        rule.name: policy.check(rule.name, caller)
        for rule in list_rules()
        if rule.name.startswith("mogan:")
    }
    return json_response(
        {
            "project_id": caller.project_id,
            "user_id": caller.user_id,
            "roles": list(caller.roles),
            "allowed": allowed,
        }
    )
