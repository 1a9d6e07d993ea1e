"""``/quotas`` and ``/server_groups``: what a project may hold, and how its instances are
placed relative to each other."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mogan.api.errors import CHANGE_ERRORS, COLLECTION_ERRORS, CREATE_ERRORS, ONE_ERRORS
from mogan.api.http import (
    collection_response,
    json_response,
    limit_param,
)
from mogan.api.usecases import Use, UseCases, allowed_to
from mogan.api.views import timestamp
from mogan.core.quotas import Limits
from mogan.services import schemas
from mogan.services.server_groups import GroupRecord
from mogan.wire import bodies

router = APIRouter()


def _limits(project_id: str, limits: Limits) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "instances": limits.instances,
        "keypairs": limits.keypairs,
        "server_groups": limits.server_groups,
        "server_group_members": limits.server_group_members,
        "nodes": limits.nodes,
        "resources": dict(sorted(limits.classes.items())),
    }


@router.get(
    "/quotas/{project_id}",
    response_model=bodies.QuotaLimits,
    tags=["quotas"],
    summary="Show a project's quota limits",
    responses=ONE_ERRORS,
)
async def show_quota(use: Use, project_id: str) -> Response:
    limits = await use(use.services.quotas.limits, project_id)
    return json_response(_limits(project_id, limits))


@router.put(
    "/quotas/{project_id}",
    response_model=bodies.QuotaLimits,
    tags=["quotas"],
    summary="Set a project's quota limits (those named; -1 is unlimited)",
    responses=CHANGE_ERRORS,
)
async def update_quota(
    project_id: str,
    body: schemas.QuotaUpdate,
    use: UseCases = allowed_to("mogan:quota:update"),
) -> Response:
    limits = await use(use.services.quotas.update, project_id, body)
    return json_response(_limits(project_id, limits))


@router.delete(
    "/quotas/{project_id}",
    tags=["quotas"],
    status_code=204,
    summary="Reset a project's quota limits to the defaults",
    responses=CHANGE_ERRORS,
)
async def reset_quota(use: Use, project_id: str) -> Response:
    await use(use.services.quotas.reset, project_id)
    return Response(status_code=204)


@router.get(
    "/quotas/{project_id}/usage",
    response_model=bodies.QuotaUsage,
    tags=["quotas"],
    summary="Show a project's usage against its quota limits",
    responses=ONE_ERRORS,
)
async def quota_usage(use: Use, project_id: str) -> Response:
    usage = await use(use.services.quotas.usage, project_id)
    return json_response(usage)


def _group(record: GroupRecord, base: str) -> dict[str, Any]:
    row = record.group
    return {
        "uuid": row.uuid,
        "name": row.name,
        "policy": row.policy,
        "rules": row.rules or {},
        "members": record.members,
        "project_id": row.project_id,
        "user_id": row.user_id,
        "created_at": timestamp(row.created_at),
        "links": [
            {"href": f"{base}/v1/server_groups/{row.uuid}", "rel": "self"},
            {"href": f"{base}/server_groups/{row.uuid}", "rel": "bookmark"},
        ],
    }


@router.post(
    "/server_groups",
    response_model=bodies.ServerGroup,
    tags=["server groups"],
    status_code=201,
    summary="Create a server group",
    responses=CREATE_ERRORS,
)
async def create_server_group(
    body: schemas.ServerGroupCreate,
    use: UseCases = allowed_to("mogan:server_group:create"),
) -> Response:
    record = await use(use.services.server_groups.create, body)
    base = use.base
    return json_response(
        _group(record, base), 201, {"Location": f"{base}/v1/server_groups/{record.group.uuid}"}
    )


@router.get(
    "/server_groups",
    response_model=bodies.ServerGroupPage,
    tags=["server groups"],
    summary="List server groups (yours; every project's with all_projects=1, for admins)",
    responses=COLLECTION_ERRORS,
)
async def list_server_groups(request: Request, use: Use) -> Response:
    everyone = request.query_params.get("all_projects", "0").lower() in ("1", "true", "yes")
    found, next_marker = await use(
        use.services.server_groups.list,
        all_projects=everyone,
        limit=limit_param(request),
        marker=request.query_params.get("marker"),
    )
    base = use.base
    return collection_response(
        request, "server_groups", found, lambda g: _group(g, base), next_marker
    )


@router.get(
    "/server_groups/{group_uuid}",
    response_model=bodies.ServerGroup,
    tags=["server groups"],
    summary="Show a server group and its members",
    responses=ONE_ERRORS,
)
async def show_server_group(use: Use, group_uuid: str) -> Response:
    record = await use(use.services.server_groups.get, group_uuid)
    return json_response(_group(record, use.base))


@router.delete(
    "/server_groups/{group_uuid}",
    tags=["server groups"],
    status_code=204,
    summary="Delete a server group (its members stay where they are)",
    responses=CHANGE_ERRORS,
)
async def delete_server_group(use: Use, group_uuid: str) -> Response:
    await use(use.services.server_groups.delete, group_uuid)
    return Response(status_code=204)
