"""The admin API Mogan needs to run without the rest of OpenStack: nodes, images, networks."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from mogan.api import views
from mogan.api.errors import CHANGE_ERRORS, COLLECTION_ERRORS, CREATE_ERRORS, ONE_ERRORS
from mogan.api.http import (
    allowed,
    base_url,
    call,
    collection,
    context,
    filters,
    json_response,
    page_request,
)
from mogan.services import schemas
from mogan.services.context import RequestContext

router = APIRouter()


def _created(body: dict, base: str, collection_name: str) -> Response:
    return json_response(body, 201, {"Location": f"{base}/v1/{collection_name}/{body['uuid']}"})


# -- nodes -----------------------------------------------------------------------------------


@router.get("/nodes", tags=["nodes"], summary="List nodes", responses=COLLECTION_ERRORS)
async def list_nodes(request: Request) -> Response:
    records, next_marker = await call(
        request,
        request.app.state.services.nodes.list,
        context(request),
        page_request(request),
        filters(request, ()),
    )
    base = base_url(request)
    return json_response(
        collection(request, "nodes", [views.node(r, base) for r in records], next_marker)
    )


@router.post(
    "/nodes",
    tags=["nodes"],
    status_code=201,
    summary="Enrol a node",
    responses=CREATE_ERRORS,
)
async def create_node(
    request: Request,
    body: schemas.NodeCreate,
    caller: RequestContext = Depends(allowed("mogan:node:write")),
) -> Response:
    record = await call(request, request.app.state.services.nodes.create, caller, body)
    base = base_url(request)
    return _created(views.node(record, base), base, "nodes")


@router.post(
    "/nodes/sync",
    tags=["nodes"],
    status_code=202,
    summary="Sync the nodes of Ironic now: new, gone, maintenance, provision state, orphans",
    description="An engine syncs at once; the answer is the sync's record as it starts "
    "(`result` null). `GET /v1/nodes/sync` shows it once done: `result` `success` with the "
    "nodes `added`, `updated`, `removed` and `repaired`, the `orphans` found and the nodes "
    "`skipped`, or `error` with Ironic's reason in `message`. 409 when no enabled driver has "
    "an inventory of its own.",
    responses=CREATE_ERRORS,
)
async def sync_nodes(request: Request) -> Response:
    row, events = await call(request, request.app.state.services.nodes.sync, context(request))
    return json_response(views.sync(row, events), 202)


@router.get(
    "/nodes/sync",
    tags=["nodes"],
    summary="The syncs operators asked for, newest first, with what each changed",
    responses=COLLECTION_ERRORS,
)
async def list_syncs(request: Request) -> Response:
    found = await call(request, request.app.state.services.nodes.sync_history, context(request))
    return json_response({"syncs": [views.sync(row, events) for row, events in found]})


@router.get(
    "/manageable_instances",
    tags=["manageable instances"],
    summary="List deployed Ironic nodes that serve no instance (adoptable)",
    responses=COLLECTION_ERRORS,
)
async def list_manageable(request: Request) -> Response:
    items = await call(request, request.app.state.services.manageable.list, context(request))
    return json_response({"manageable_instances": items})


@router.post(
    "/manageable_instances",
    tags=["manageable instances"],
    status_code=201,
    summary="Adopt a deployed node as an instance of a project, without redeploying",
    responses=CREATE_ERRORS,
)
async def adopt(
    request: Request,
    body: schemas.AdoptRequest,
    caller: RequestContext = Depends(allowed("mogan:manageable_instance:adopt")),
) -> Response:
    record = await call(request, request.app.state.services.manageable.adopt, caller, body)
    base = base_url(request)
    return _created(views.instance(record, base), base, "instances")


@router.get(
    "/nodes/{node_ident}",
    tags=["nodes"],
    summary="Show a node (by UUID or name)",
    responses=ONE_ERRORS,
)
async def show_node(request: Request, node_ident: str) -> Response:
    record = await call(request, request.app.state.services.nodes.get, context(request), node_ident)
    return json_response(views.node(record, base_url(request)))


@router.get(
    "/nodes/{node_ident}/validate",
    tags=["nodes"],
    summary="What the node's power, management, boot and deploy were last found able to do",
    description="As the node's last verification (at enrolment, or `POST …/verify`) found "
    "them, per interface: `result` and, when false, the `reason`. 409 before the first "
    "verification ended.",
    responses=CHANGE_ERRORS,
)
async def validate_node(request: Request, node_ident: str) -> Response:
    checks = await call(
        request, request.app.state.services.nodes.validate, context(request), node_ident
    )
    return json_response(checks)


@router.post(
    "/nodes/{node_ident}/verify",
    tags=["nodes"],
    status_code=202,
    summary="Check the node's BMC and interfaces again",
    description="An engine checks that the node's BMC answers and accepts its credentials, "
    "and what each interface can do (`GET …/validate` then says). A node in `enroll` (its "
    "last check failed) is `verifying` until the check ends: then `available`, or `enroll` "
    "again with the reason in `last_error`. Any other node keeps its state. 409 for a node "
    "enrolled in Ironic, which checks its own.",
    responses=CHANGE_ERRORS,
)
async def verify_node(request: Request, node_ident: str) -> Response:
    record = await call(
        request, request.app.state.services.nodes.verify, context(request), node_ident
    )
    return json_response(views.node(record, base_url(request)), 202)


@router.patch(
    "/nodes/{node_ident}",
    tags=["nodes"],
    summary="Update a node (JSON Patch)",
    responses=CHANGE_ERRORS,
)
async def update_node(
    request: Request,
    node_ident: str,
    operations: schemas.NodePatch,
    caller: RequestContext = Depends(allowed("mogan:node:write")),
) -> Response:
    patch = schemas.patch_document(operations)
    record = await call(request, request.app.state.services.nodes.update, caller, node_ident, patch)
    return json_response(views.node(record, base_url(request)))


@router.post(
    "/nodes/{node_ident}/inspect",
    tags=["nodes"],
    status_code=202,
    summary="Inspect a node: fill its properties and NICs from what its hardware says",
    description="The node is `inspecting` (never scheduled) until the inspection ends: then "
    "`available`, or `inspect failed` and in maintenance with the reason. Properties an "
    "operator set by hand are kept unless `overwrite` is true. 409 while the node serves an "
    "instance or is not `available`, `enroll` or `inspect failed`.",
    responses=CHANGE_ERRORS,
)
async def inspect_node(
    request: Request,
    node_ident: str,
    body: schemas.NodeInspect | None = None,
    caller: RequestContext = Depends(allowed("mogan:node:inspect")),
) -> Response:
    overwrite = body.overwrite if body is not None else False
    record = await call(
        request, request.app.state.services.nodes.inspect, caller, node_ident, overwrite
    )
    return json_response(views.node(record, base_url(request)), 202)


@router.post(
    "/nodes/{node_ident}/clean",
    tags=["nodes"],
    status_code=202,
    summary="Clean a node that serves no instance",
    description="The node is `cleaning` (never scheduled) until the clean ends: then "
    "`available`, or `clean failed` and in maintenance with the reason. `mode` defaults to the "
    "node's own (`driver_info.cleaning_mode`, else `[cleaning] mode`). 409 while the node "
    "serves an instance or is not `available` or `clean failed`.",
    responses=CHANGE_ERRORS,
)
async def clean_node(
    request: Request,
    node_ident: str,
    body: schemas.NodeClean | None = None,
    caller: RequestContext = Depends(allowed("mogan:node:clean")),
) -> Response:
    mode = body.mode if body is not None else None
    record = await call(request, request.app.state.services.nodes.clean, caller, node_ident, mode)
    return json_response(views.node(record, base_url(request)), 202)


@router.get(
    "/nodes/{node_ident}/inventory",
    tags=["nodes"],
    summary="What the node's last inspection found, with the hardware's own report",
    responses=ONE_ERRORS,
)
async def show_inventory(request: Request, node_ident: str) -> Response:
    found = await call(
        request, request.app.state.services.nodes.inventory, context(request), node_ident
    )
    return json_response(views.node_inventory(found))


@router.get(
    "/nodes/{node_ident}/history",
    tags=["nodes"],
    summary="The node's inspections and cleans, newest first, with their steps",
    responses=ONE_ERRORS,
)
async def show_history(request: Request, node_ident: str) -> Response:
    entries = await call(
        request, request.app.state.services.nodes.history, context(request), node_ident
    )
    return json_response(views.node_history(entries))


@router.put(
    "/nodes/{node_ident}/maintenance",
    tags=["nodes"],
    status_code=202,
    response_class=Response,
    summary="Put a node in maintenance (nothing new is scheduled onto it)",
    description="202 with no body, as Ironic answers it.",
    responses={202: {"description": "Accepted (no body)"}, **CHANGE_ERRORS},
)
async def set_maintenance(
    request: Request,
    node_ident: str,
    body: schemas.NodeMaintenance | None = None,
    caller: RequestContext = Depends(allowed("mogan:node:maintenance")),
) -> Response:
    reason = body.reason if body is not None else None
    await call(
        request, request.app.state.services.nodes.set_maintenance, caller, node_ident, reason
    )
    return Response(status_code=202)


@router.delete(
    "/nodes/{node_ident}/maintenance",
    tags=["nodes"],
    status_code=202,
    response_class=Response,
    summary="Lift a node's maintenance (a node whose clean failed is cleaned again)",
    description="202 with no body, as Ironic answers it.",
    responses={202: {"description": "Accepted (no body)"}, **CHANGE_ERRORS},
)
async def unset_maintenance(request: Request, node_ident: str) -> Response:
    await call(
        request,
        request.app.state.services.nodes.unset_maintenance,
        context(request),
        node_ident,
    )
    return Response(status_code=202)


@router.delete(
    "/nodes/{node_ident}",
    tags=["nodes"],
    status_code=204,
    summary="Delete a node",
    responses=CHANGE_ERRORS,
)
async def delete_node(request: Request, node_ident: str) -> Response:
    await call(request, request.app.state.services.nodes.delete, context(request), node_ident)
    return Response(status_code=204)


# -- images ----------------------------------------------------------------------------------


@router.get("/images", tags=["images"], summary="List images", responses=COLLECTION_ERRORS)
async def list_images(request: Request) -> Response:
    rows, next_marker = await call(
        request, request.app.state.services.images.list, context(request), page_request(request)
    )
    base = base_url(request)
    return json_response(
        collection(request, "images", [views.image(r, base) for r in rows], next_marker)
    )


@router.post(
    "/images",
    tags=["images"],
    status_code=201,
    summary="Register an image",
    responses=CREATE_ERRORS,
)
async def create_image(
    request: Request,
    body: schemas.ImageCreate,
    caller: RequestContext = Depends(allowed("mogan:image:write")),
) -> Response:
    row = await call(request, request.app.state.services.images.create, caller, body)
    base = base_url(request)
    return _created(views.image(row, base), base, "images")


@router.get("/images/{image_uuid}", tags=["images"], summary="Show an image", responses=ONE_ERRORS)
async def show_image(request: Request, image_uuid: str) -> Response:
    row = await call(request, request.app.state.services.images.get, context(request), image_uuid)
    return json_response(views.image(row, base_url(request)))


@router.patch(
    "/images/{image_uuid}",
    tags=["images"],
    summary="Update an image (JSON Patch)",
    responses=CHANGE_ERRORS,
)
async def update_image(
    request: Request,
    image_uuid: str,
    operations: schemas.ImagePatch,
    caller: RequestContext = Depends(allowed("mogan:image:write")),
) -> Response:
    patch = schemas.patch_document(operations)
    row = await call(request, request.app.state.services.images.update, caller, image_uuid, patch)
    return json_response(views.image(row, base_url(request)))


@router.delete(
    "/images/{image_uuid}",
    tags=["images"],
    status_code=204,
    summary="Delete an image",
    responses=CHANGE_ERRORS,
)
async def delete_image(request: Request, image_uuid: str) -> Response:
    await call(request, request.app.state.services.images.delete, context(request), image_uuid)
    return Response(status_code=204)


# -- networks --------------------------------------------------------------------------------


@router.get("/networks", tags=["networks"], summary="List networks", responses=COLLECTION_ERRORS)
async def list_networks(request: Request) -> Response:
    records, next_marker = await call(
        request, request.app.state.services.networks.list, context(request), page_request(request)
    )
    base = base_url(request)
    return json_response(
        collection(request, "networks", [views.network(r, base) for r in records], next_marker)
    )


@router.post(
    "/networks",
    tags=["networks"],
    status_code=201,
    summary="Create a network",
    responses=CREATE_ERRORS,
)
async def create_network(
    request: Request,
    body: schemas.NetworkCreate,
    caller: RequestContext = Depends(allowed("mogan:network:write")),
) -> Response:
    record = await call(request, request.app.state.services.networks.create, caller, body)
    base = base_url(request)
    return _created(views.network(record, base), base, "networks")


@router.get(
    "/networks/{network_uuid}", tags=["networks"], summary="Show a network", responses=ONE_ERRORS
)
async def show_network(request: Request, network_uuid: str) -> Response:
    record = await call(
        request, request.app.state.services.networks.get, context(request), network_uuid
    )
    return json_response(views.network(record, base_url(request)))


@router.patch(
    "/networks/{network_uuid}",
    tags=["networks"],
    summary="Rename a network (JSON Patch)",
    responses=CHANGE_ERRORS,
)
async def update_network(
    request: Request,
    network_uuid: str,
    operations: schemas.NetworkPatch,
    caller: RequestContext = Depends(allowed("mogan:network:write")),
) -> Response:
    patch = schemas.patch_document(operations)
    record = await call(
        request, request.app.state.services.networks.update, caller, network_uuid, patch
    )
    return json_response(views.network(record, base_url(request)))


@router.delete(
    "/networks/{network_uuid}",
    tags=["networks"],
    status_code=204,
    summary="Delete a network",
    responses=CHANGE_ERRORS,
)
async def delete_network(request: Request, network_uuid: str) -> Response:
    await call(request, request.app.state.services.networks.delete, context(request), network_uuid)
    return Response(status_code=204)


@router.get(
    "/networks/{network_uuid}/ports",
    tags=["networks"],
    summary="List the ports allocated on a network",
    responses=ONE_ERRORS,
)
async def list_ports(request: Request, network_uuid: str) -> Response:
    records = await call(
        request, request.app.state.services.networks.list_ports, context(request), network_uuid
    )
    return json_response({"ports": [views.port(r) for r in records]})
