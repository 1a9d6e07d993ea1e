"""``/availability_zones``: ../shared/spec/availability_zones.inc."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mogan.api.errors import COLLECTION_ERRORS
from mogan.api.http import call, context, json_response

router = APIRouter(tags=["availability zones"])


@router.get("/availability_zones", summary="List availability zones", responses=COLLECTION_ERRORS)
async def list_zones(request: Request) -> Response:
    zones = await call(request, request.app.state.services.zones.list, context(request))
    return json_response({"availability_zones": zones})
