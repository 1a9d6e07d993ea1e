"""``GET /`` and ``GET /v1``: version discovery documents, open to everyone."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mogan.api.http import base_url, json_response
from mogan.wire import bodies

router = APIRouter(tags=["versions"])

_RESOURCES = (
    "instances",
    "types",
    "availability_zones",
    "keypairs",
    "server_groups",
    "nodes",
    "images",
    "networks",
)


def _version(base: str) -> dict:
    return {
        "id": "v1",
        "status": "CURRENT",
        "version": "1.0",
        "min_version": "1.0",
        "links": [{"href": f"{base}/v1/", "rel": "self"}],
    }


@router.get("/", response_model=bodies.Versions, summary="API versions")
async def versions(request: Request) -> Response:
    base = base_url(request)
    return json_response(
        {
            "name": "Mogan API",
            "description": "Mogan is a bare-metal compute service.",
            "versions": [_version(base)],
            "default_version": _version(base),
        }
    )


@router.get("/v1", response_model=bodies.VersionOne, summary="The v1 API and its resources")
@router.get("/v1/", include_in_schema=False)
async def version_one(request: Request) -> Response:
    base = base_url(request)
    body: dict = {
        "id": "v1",
        "status": "CURRENT",
        "version": "1.0",
        "min_version": "1.0",
        "media_types": [
            {
                "base": "application/json",
                "type": "application/vnd.openstack.baremetal-compute.v1+json",
            }
        ],
        "links": [{"href": f"{base}/v1/", "rel": "self"}],
    }
    for resource in _RESOURCES:
        body[resource] = [
            {"href": f"{base}/v1/{resource}/", "rel": "self"},
            {"href": f"{base}/{resource}/", "rel": "bookmark"},
        ]
    return json_response(body)
