"""``GET /`` and ``GET /v1``: version discovery documents; ``GET /healthcheck``: whether this
API process can serve (all three open to everyone); ``GET /metrics``: Prometheus' scrape
(operators only)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from mogan.api.errors import documented
from mogan.api.http import base_url, call, context, json_response
from mogan.services.metrics import CONTENT_TYPE
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


@router.get(
    "/healthcheck",
    response_class=Response,
    summary="Health check",
    description="oslo.middleware's convention, for load balancers: 200 with the body `OK` "
    "while this process can reach its database, 503 `DATABASE UNREACHABLE` when it cannot. "
    "No authentication; it says nothing else.",
    responses={
        200: {"description": "OK", "content": {"text/plain": {"example": "OK"}}},
        503: {
            "description": "The database cannot be reached",
            "content": {"text/plain": {"example": "DATABASE UNREACHABLE"}},
        },
        **documented(),  # the guard's refusals (a host not served here), as everywhere
    },
)
@router.head("/healthcheck", include_in_schema=False)
async def healthcheck(request: Request) -> Response:
    healthy = await call(request, request.app.state.services.health.database_reachable)
    if healthy:
        return PlainTextResponse("OK", headers={"Cache-Control": "no-store"})
    return PlainTextResponse(
        "DATABASE UNREACHABLE", status_code=503, headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/metrics",
    # A plain Response: the 200 is the text format, the errors the OpenStack JSON body.
    response_class=Response,
    summary="Prometheus metrics",
    description="The Prometheus text format: request latency by route and status, operations "
    "by kind and result, driver calls by driver and call, leases, the power sync; and, "
    "counted at each scrape, instances by status, nodes by state and the operations queue. "
    'Operators only (policy `mogan:metrics:get`); docs/operator-guide.md, "Monitoring".',
    responses={
        200: {
            "description": "The Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **documented(401, 403, 503),
    },
)
async def prometheus_metrics(request: Request) -> Response:
    caller = context(request)
    body = await call(request, request.app.state.services.metrics.exposition, caller)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
