"""``/types``: ../shared/spec/types.inc, plus the access list of private types."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from starlette.requests import Request
from starlette.responses import Response

from mogan.api import views
from mogan.api.errors import CHANGE_ERRORS, COLLECTION_ERRORS, CREATE_ERRORS, ONE_ERRORS
from mogan.api.http import (
    collection_response,
    json_response,
    page_request,
)
from mogan.api.usecases import Use, UseCases, allowed_to
from mogan.services import schemas
from mogan.wire import bodies

router = APIRouter(tags=["types"])


@router.get(
    "/types",
    response_model=bodies.InstanceTypePage,
    summary="List instance types",
    responses=COLLECTION_ERRORS,
)
async def list_types(request: Request, use: Use) -> Response:
    records, next_marker = await use(use.services.types.list, page_request(request))
    base = use.base
    return collection_response(
        request, "types", records, lambda r: views.instance_type(r, base), next_marker
    )


@router.post(
    "/types",
    response_model=bodies.InstanceType,
    status_code=201,
    summary="Create an instance type",
    responses=CREATE_ERRORS,
)
async def create_type(
    body: schemas.TypeCreate,
    use: UseCases = allowed_to("mogan:instance_type:create"),
) -> Response:
    record = await use(use.services.types.create, body)
    base = use.base
    return json_response(
        views.instance_type(record, base), 201, {"Location": f"{base}/v1/types/{record.type.uuid}"}
    )


@router.get(
    "/types/{type_uuid}",
    response_model=bodies.InstanceType,
    summary="Show an instance type",
    responses=ONE_ERRORS,
)
async def show_type(use: Use, type_uuid: str) -> Response:
    record = await use(use.services.types.get, type_uuid)
    return json_response(views.instance_type(record, use.base))


@router.put(
    "/types/{type_uuid}",
    response_model=bodies.InstanceType,
    summary="Update an instance type",
    responses=CHANGE_ERRORS,
)
async def update_type(
    type_uuid: str,
    body: schemas.TypeUpdate,
    use: UseCases = allowed_to("mogan:instance_type:update"),
) -> Response:
    record = await use(use.services.types.update, type_uuid, body)
    return json_response(views.instance_type(record, use.base))


@router.delete(
    "/types/{type_uuid}",
    status_code=204,
    summary="Delete an instance type",
    responses=CHANGE_ERRORS,
)
async def delete_type(use: Use, type_uuid: str) -> Response:
    await use(use.services.types.delete, type_uuid)
    return Response(status_code=204)


@router.get(
    "/types/{type_uuid}/extraspecs",
    response_model=bodies.ExtraSpecs,
    summary="List a type's extra specs",
    responses=ONE_ERRORS,
)
async def list_extra_specs(use: Use, type_uuid: str) -> Response:
    specs = await use(use.services.types.get_extra_specs, type_uuid)
    return json_response({"extra_specs": specs})


@router.patch(
    "/types/{type_uuid}/extraspecs",
    response_model=bodies.ExtraSpecs,
    status_code=201,
    summary="Create or update extra specs",
    responses=CHANGE_ERRORS,
)
async def set_extra_specs(
    type_uuid: str,
    specs: Annotated[schemas.ExtraSpecs, Body()],
    use: UseCases = allowed_to("mogan:instance_type:update"),
) -> Response:
    result = await use(use.services.types.set_extra_specs, type_uuid, specs)
    return json_response({"extra_specs": result}, 201)


@router.delete(
    "/types/{type_uuid}/extraspecs/{key}",
    status_code=204,
    summary="Delete an extra spec",
    responses=CHANGE_ERRORS,
)
async def delete_extra_spec(use: Use, type_uuid: str, key: str) -> Response:
    await use(
        use.services.types.delete_extra_spec,
        type_uuid,
        key,
    )
    return Response(status_code=204)


@router.get(
    "/types/{type_uuid}/access",
    response_model=bodies.TypeAccessList,
    summary="List projects that may use a private type",
    responses=ONE_ERRORS,
)
async def list_type_access(use: Use, type_uuid: str) -> Response:
    projects = await use(use.services.types.list_access, type_uuid)
    return json_response(
        {"type_access": [{"type_uuid": type_uuid, "tenant_id": p} for p in projects]}
    )


@router.post(
    "/types/{type_uuid}/access",
    response_model=bodies.TypeAccessGrant,
    status_code=201,
    summary="Share a private type",
    responses=CHANGE_ERRORS,
)
async def add_type_access(
    type_uuid: str,
    body: schemas.TypeAccess,
    use: UseCases = allowed_to("mogan:instance_type:access"),
) -> Response:
    await use(use.services.types.add_access, type_uuid, body.tenant_id)
    return json_response({"type_uuid": type_uuid, "tenant_id": body.tenant_id}, 201)


@router.delete(
    "/types/{type_uuid}/access/{tenant_id}",
    status_code=204,
    summary="Stop sharing a private type",
    responses=CHANGE_ERRORS,
)
async def remove_type_access(use: Use, type_uuid: str, tenant_id: str) -> Response:
    await use(
        use.services.types.remove_access,
        type_uuid,
        tenant_id,
    )
    return Response(status_code=204)
