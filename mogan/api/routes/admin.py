"""The admin API Mogan needs to run without the rest of OpenStack: nodes, images, networks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from mogan.api import views
from mogan.api.errors import CHANGE_ERRORS, COLLECTION_ERRORS, CREATE_ERRORS, ONE_ERRORS
from mogan.api.http import (
    collection_response,
    filters,
    json_response,
    page_request,
)
from mogan.api.usecases import Use, UseCases, allowed_to
from mogan.services import schemas
from mogan.wire import bodies

router = APIRouter()


def _created(body: dict, base: str, collection_name: str) -> Response:
    return json_response(body, 201, {"Location": f"{base}/v1/{collection_name}/{body['uuid']}"})


# -- nodes -----------------------------------------------------------------------------------


@router.get(
    "/nodes",
    response_model=bodies.NodePage,
    tags=["nodes"],
    summary="List nodes",
    responses=COLLECTION_ERRORS,
)
async def list_nodes(request: Request, use: Use) -> Response:
    records, next_marker = await use(
        use.services.nodes.list,
        page_request(request),
        filters(request, ()),
    )
    base = use.base
    return collection_response(
        request, "nodes", records, lambda r: views.node(r, base), next_marker
    )


@router.get(
    "/nodes/summary",
    response_model=bodies.NodeSummary,
    tags=["nodes"],
    summary="The fleet counted by provision state, maintenance, association and zone",
    description="One grouped count, whatever the fleet's size: what a fleet overview shows "
    "(the dashboard's legend) without listing every node. A node named `summary` is reached by "
    "its UUID.",
    responses=COLLECTION_ERRORS,
)
async def node_summary(use: Use) -> Response:
    groups = await use(use.services.nodes.summary)
    return json_response(
        {
            "total": sum(g.count for g in groups),
            "groups": [
                {
                    "provision_state": g.provision_state,
                    "maintenance": g.maintenance,
                    "associated": g.associated,
                    "availability_zone": g.availability_zone,
                    "count": g.count,
                }
                for g in groups
            ],
        }
    )


@router.post(
    "/nodes",
    response_model=bodies.Node,
    tags=["nodes"],
    status_code=201,
    summary="Enrol a node",
    responses=CREATE_ERRORS,
)
async def create_node(
    body: schemas.NodeCreate,
    use: UseCases = allowed_to("mogan:node:write"),
) -> Response:
    record = await use(use.services.nodes.create, body)
    base = use.base
    return _created(views.node(record, base), base, "nodes")


@router.post(
    "/nodes/sync",
    response_model=bodies.Sync,
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
async def sync_nodes(use: Use) -> Response:
    row, events = await use(use.services.nodes.sync)
    return json_response(views.sync(row, events), 202)


@router.get(
    "/nodes/sync",
    response_model=bodies.Syncs,
    tags=["nodes"],
    summary="The syncs operators asked for, newest first, with what each changed",
    responses=COLLECTION_ERRORS,
)
async def list_syncs(use: Use) -> Response:
    found = await use(use.services.nodes.sync_history)
    return json_response({"syncs": [views.sync(row, events) for row, events in found]})


@router.get(
    "/manageable_instances",
    response_model=bodies.ManageableInstances,
    tags=["manageable instances"],
    summary="List deployed Ironic nodes that serve no instance (adoptable)",
    responses=COLLECTION_ERRORS,
)
async def list_manageable(use: Use) -> Response:
    items = await use(use.services.manageable.list)
    return json_response({"manageable_instances": items})


@router.post(
    "/manageable_instances",
    response_model=bodies.Instance,
    tags=["manageable instances"],
    status_code=201,
    summary="Adopt a deployed node as an instance of a project, without redeploying",
    responses=CREATE_ERRORS,
)
async def adopt(
    body: schemas.AdoptRequest,
    use: UseCases = allowed_to("mogan:manageable_instance:adopt"),
) -> Response:
    record = await use(use.services.manageable.adopt, body)
    base = use.base
    return _created(views.instance(record, base), base, "instances")


@router.get(
    "/nodes/{node_ident}",
    response_model=bodies.Node,
    tags=["nodes"],
    summary="Show a node (by UUID or name)",
    responses=ONE_ERRORS,
)
async def show_node(use: Use, node_ident: str) -> Response:
    record = await use(use.services.nodes.get, node_ident)
    return json_response(views.node(record, use.base))


@router.get(
    "/nodes/{node_ident}/validate",
    response_model=bodies.InterfaceChecks,
    tags=["nodes"],
    summary="What the node's power, management, boot and deploy were last found able to do",
    description="As the node's last verification (at enrolment, or `POST …/verify`) found "
    "them, per interface: `result` and, when false, the `reason`. 409 before the first "
    "verification ended.",
    responses=CHANGE_ERRORS,
)
async def validate_node(use: Use, node_ident: str) -> Response:
    checks = await use(use.services.nodes.validate, node_ident)
    return json_response(checks)


@router.post(
    "/nodes/{node_ident}/verify",
    response_model=bodies.Node,
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
async def verify_node(use: Use, node_ident: str) -> Response:
    record = await use(use.services.nodes.verify, node_ident)
    return json_response(views.node(record, use.base), 202)


@router.patch(
    "/nodes/{node_ident}",
    response_model=bodies.Node,
    tags=["nodes"],
    summary="Update a node (JSON Patch)",
    responses=CHANGE_ERRORS,
)
async def update_node(
    node_ident: str,
    operations: schemas.NodePatch,
    use: UseCases = allowed_to("mogan:node:write"),
) -> Response:
    patch = schemas.patch_document(operations)
    record = await use(use.services.nodes.update, node_ident, patch)
    return json_response(views.node(record, use.base))


@router.post(
    "/nodes/{node_ident}/inspect",
    response_model=bodies.Node,
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
    node_ident: str,
    body: schemas.NodeInspect | None = None,
    use: UseCases = allowed_to("mogan:node:inspect"),
) -> Response:
    overwrite = body.overwrite if body is not None else False
    record = await use(use.services.nodes.inspect, node_ident, overwrite)
    return json_response(views.node(record, use.base), 202)


@router.post(
    "/nodes/{node_ident}/clean",
    response_model=bodies.Node,
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
    node_ident: str,
    body: schemas.NodeClean | None = None,
    use: UseCases = allowed_to("mogan:node:clean"),
) -> Response:
    mode = body.mode if body is not None else None
    record = await use(use.services.nodes.clean, node_ident, mode)
    return json_response(views.node(record, use.base), 202)


@router.get(
    "/nodes/{node_ident}/inventory",
    response_model=bodies.NodeInventory,
    tags=["nodes"],
    summary="What the node's last inspection found, with the hardware's own report",
    description="409 before the node's first inspection ended.",
    responses=CHANGE_ERRORS,
)
async def show_inventory(use: Use, node_ident: str) -> Response:
    found = await use(use.services.nodes.inventory, node_ident)
    return json_response(views.node_inventory(found))


@router.get(
    "/nodes/{node_ident}/history",
    response_model=bodies.NodeHistory,
    tags=["nodes"],
    summary="The node's inspections and cleans, newest first, with their steps",
    responses=ONE_ERRORS,
)
async def show_history(use: Use, node_ident: str) -> Response:
    entries = await use(use.services.nodes.history, node_ident)
    return json_response(views.node_history(entries))


@router.get(
    "/nodes/{node_ident}/traits",
    tags=["nodes"],
    response_model=bodies.NodeTraitList,
    summary="A node's traits (as Ironic's)",
    responses=ONE_ERRORS,
)
async def node_traits(use: Use, node_ident: str) -> Response:
    return json_response({"traits": await use(use.services.nodes.traits, node_ident)})


@router.put(
    "/nodes/{node_ident}/traits",
    tags=["nodes"],
    status_code=204,
    response_class=Response,
    summary="Replace a node's traits",
    responses=CHANGE_ERRORS,
)
async def set_node_traits(
    node_ident: str,
    body: schemas.NodeTraits,
    use: UseCases = allowed_to("mogan:node:traits"),
) -> Response:
    await use(use.services.nodes.set_traits, node_ident, body.traits)
    return Response(status_code=204)


@router.put(
    "/nodes/{node_ident}/traits/{trait}",
    tags=["nodes"],
    status_code=204,
    response_class=Response,
    summary="Add a trait to a node",
    responses=CHANGE_ERRORS,
)
async def add_node_trait(
    node_ident: str,
    trait: Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[A-Z0-9_]+$")],
    use: UseCases = allowed_to("mogan:node:traits"),
) -> Response:
    await use(use.services.nodes.add_trait, node_ident, trait)
    return Response(status_code=204)


@router.delete(
    "/nodes/{node_ident}/traits/{trait}",
    tags=["nodes"],
    status_code=204,
    response_class=Response,
    summary="Remove a trait from a node",
    responses=CHANGE_ERRORS,
)
async def remove_node_trait(
    node_ident: str, trait: str, use: UseCases = allowed_to("mogan:node:traits")
) -> Response:
    await use(use.services.nodes.remove_trait, node_ident, trait)
    return Response(status_code=204)


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
    node_ident: str,
    body: schemas.NodeMaintenance | None = None,
    use: UseCases = allowed_to("mogan:node:maintenance"),
) -> Response:
    reason = body.reason if body is not None else None
    await use(use.services.nodes.set_maintenance, node_ident, reason)
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
async def unset_maintenance(use: Use, node_ident: str) -> Response:
    await use(
        use.services.nodes.unset_maintenance,
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
async def delete_node(use: Use, node_ident: str) -> Response:
    await use(use.services.nodes.delete, node_ident)
    return Response(status_code=204)


# -- deploy templates (Ironic's) ---------------------------------------------------------------


@router.get(
    "/deploy_templates",
    tags=["deploy templates"],
    response_model=bodies.DeployTemplatePage,
    summary="List deploy templates",
    responses=COLLECTION_ERRORS,
)
async def list_deploy_templates(request: Request, use: Use) -> Response:
    rows, next_marker = await use(use.services.deploy_templates.list, page_request(request))
    base = use.base
    return collection_response(
        request, "deploy_templates", rows, lambda r: views.deploy_template(r, base), next_marker
    )


@router.post(
    "/deploy_templates",
    tags=["deploy templates"],
    status_code=201,
    response_model=bodies.DeployTemplate,
    summary="Create a deploy template: BIOS and RAID steps a type gets by requiring its trait",
    responses=CREATE_ERRORS,
)
async def create_deploy_template(
    body: schemas.DeployTemplateCreate,
    use: UseCases = allowed_to("mogan:deploy_template:write"),
) -> Response:
    row = await use(use.services.deploy_templates.create, body)
    return _created(views.deploy_template(row, use.base), use.base, "deploy_templates")


@router.get(
    "/deploy_templates/{template_ident}",
    tags=["deploy templates"],
    response_model=bodies.DeployTemplate,
    summary="Show a deploy template (by UUID or name)",
    responses=ONE_ERRORS,
)
async def show_deploy_template(use: Use, template_ident: str) -> Response:
    row = await use(use.services.deploy_templates.get, template_ident)
    return json_response(views.deploy_template(row, use.base))


@router.patch(
    "/deploy_templates/{template_ident}",
    tags=["deploy templates"],
    response_model=bodies.DeployTemplate,
    summary="Update a deploy template (JSON Patch of name, steps, extra)",
    responses=CHANGE_ERRORS,
)
async def update_deploy_template(
    template_ident: str,
    operations: schemas.DeployTemplatePatch,
    use: UseCases = allowed_to("mogan:deploy_template:write"),
) -> Response:
    patch = schemas.patch_document(operations)
    row = await use(use.services.deploy_templates.update, template_ident, patch)
    return json_response(views.deploy_template(row, use.base))


@router.delete(
    "/deploy_templates/{template_ident}",
    tags=["deploy templates"],
    status_code=204,
    summary="Delete a deploy template",
    responses=CHANGE_ERRORS,
)
async def delete_deploy_template(
    template_ident: str, use: UseCases = allowed_to("mogan:deploy_template:write")
) -> Response:
    await use(use.services.deploy_templates.delete, template_ident)
    return Response(status_code=204)
