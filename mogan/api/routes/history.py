"""``/instances/{id}/tags`` and ``/instances/{id}/actions``: what a tenant labels an instance
with, and the record of what was done to it (Nova's server tags and instance actions)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mogan.api import views
from mogan.api.errors import CHANGE_ERRORS, ONE_ERRORS
from mogan.api.http import (
    collection_response,
    json_response,
    limit_param,
)
from mogan.api.usecases import Use, UseCases, allowed_to
from mogan.services import schemas
from mogan.wire import bodies

router = APIRouter(tags=["instances"])

_TAGS = "/instances/{instance_ident}/tags"


@router.get(
    _TAGS, response_model=bodies.Tags, summary="List an instance's tags", responses=ONE_ERRORS
)
async def list_tags(use: Use, instance_ident: str) -> Response:
    found = await use(use.services.tags.list, instance_ident)
    return json_response({"tags": found})


@router.put(
    _TAGS, response_model=bodies.Tags, summary="Replace an instance's tags", responses=CHANGE_ERRORS
)
async def replace_tags(
    instance_ident: str,
    body: schemas.TagList,
    use: UseCases = allowed_to("mogan:instance:tags:update"),
) -> Response:
    found = await use(use.services.tags.replace, instance_ident, body.tags)
    return json_response({"tags": found})


@router.delete(
    _TAGS, status_code=204, summary="Remove every tag of an instance", responses=CHANGE_ERRORS
)
async def clear_tags(use: Use, instance_ident: str) -> Response:
    await use(use.services.tags.clear, instance_ident)
    return Response(status_code=204)


@router.get(
    _TAGS + "/{tag}",
    status_code=204,
    summary="Check a tag: 204 if the instance has it, 404 if not",
    responses=ONE_ERRORS,
)
async def check_tag(use: Use, instance_ident: str, tag: str) -> Response:
    await use(use.services.tags.has, instance_ident, tag)
    return Response(status_code=204)


@router.put(
    _TAGS + "/{tag}",
    status_code=201,
    response_class=Response,
    summary="Add a tag (201 when added, 204 when the instance had it)",
    responses={
        **CHANGE_ERRORS,
        201: {"description": "Added (no body); `Location` is the tag."},
        204: {"description": "The instance had the tag already."},
    },
)
async def add_tag(
    instance_ident: str,
    tag: str,
    use: UseCases = allowed_to("mogan:instance:tags:update"),
) -> Response:
    added = await use(use.services.tags.add, instance_ident, tag)
    if not added:
        return Response(status_code=204)
    location = f"{use.base}/v1/instances/{instance_ident}/tags/{tag}"
    return Response(status_code=201, headers={"Location": location})


@router.delete(_TAGS + "/{tag}", status_code=204, summary="Remove a tag", responses=CHANGE_ERRORS)
async def remove_tag(use: Use, instance_ident: str, tag: str) -> Response:
    await use(use.services.tags.remove, instance_ident, tag)
    return Response(status_code=204)


@router.get(
    "/instances/{instance_ident}/actions",
    response_model=bodies.ActionPage,
    summary="List the actions on an instance, newest first",
    responses=ONE_ERRORS,
)
async def list_actions(request: Request, use: Use, instance_ident: str) -> Response:
    found, next_marker = await use(
        use.services.actions.list,
        instance_ident,
        limit=limit_param(request),
        marker=request.query_params.get("marker"),
    )
    return collection_response(request, "actions", found, views.action, next_marker)


@router.get(
    "/instances/{instance_ident}/actions/{request_id}",
    response_model=bodies.ActionDetail,
    summary="Show an action on an instance, with its events",
    responses=ONE_ERRORS,
)
async def show_action(use: Use, instance_ident: str, request_id: str) -> Response:
    record = await use(
        use.services.actions.get,
        instance_ident,
        request_id,
    )
    return json_response(views.action_detail(record))
