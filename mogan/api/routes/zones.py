"""``/availability_zones``: ../shared/spec/availability_zones.inc."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from mogan.api.errors import COLLECTION_ERRORS
from mogan.api.http import json_response
from mogan.api.usecases import Use
from mogan.wire import bodies

router = APIRouter(tags=["availability zones"])


@router.get(
    "/availability_zones",
    response_model=bodies.Zones,
    summary="List availability zones",
    responses=COLLECTION_ERRORS,
)
async def list_zones(use: Use) -> Response:
    zones = await use(use.services.zones.list)
    return json_response({"availability_zones": zones})
