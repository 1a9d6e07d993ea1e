"""``/instances``: ../shared/spec/instances-api.rst."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
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
from mogan.core import states
from mogan.services import schemas
from mogan.wire import bodies

router = APIRouter(tags=["instances"])

_LIST_RESERVED = ("fields", "all_tenants")


def _all_tenants(request: Request) -> bool:
    value = request.query_params.get("all_tenants", "0").lower()
    return value in ("1", "true", "yes")


@router.post(
    "/instances",
    response_model=bodies.Instance | bodies.InstanceBatch | bodies.Reservation,
    status_code=201,
    summary="Create an instance, or several (min_count/max_count)",
    responses=CREATE_ERRORS,
)
async def create_instance(
    body: schemas.InstanceCreate,
    use: UseCases = allowed_to("mogan:instance:create"),
) -> Response:
    created = await use(use.services.instances.create, body)
    base = use.base
    reservation = {"reservation_id": created.reservation_id}
    listed = {"Location": f"{base}/v1/instances?reservation_id={created.reservation_id}"}
    if body.return_reservation_id:
        return json_response(reservation, 201, listed)
    if body.min_count > 1 or (body.max_count or 1) > 1:  # a batch: every instance made
        return json_response(
            {"instances": [views.instance(r, base) for r in created.instances], **reservation},
            201,
            listed,
        )
    (record,) = created.instances
    return json_response(
        views.instance(record, base),
        201,
        {"Location": f"{base}/v1/instances/{record.instance.uuid}"},
    )


async def _list(
    request: Request, use: UseCases, default_fields: tuple[str, ...] | None
) -> Response:
    fields = views.parse_fields(request.query_params.get("fields"), views.INSTANCE_FIELDS)
    if fields is None:
        fields = default_fields
    records, next_marker = await use(
        use.services.instances.list,
        all_tenants=_all_tenants(request),
        page=page_request(request),
        filters=filters(request, _LIST_RESERVED),
    )
    base = use.base
    return collection_response(
        request, "instances", records, lambda r: views.instance(r, base, fields), next_marker
    )


@router.get(
    "/instances",
    response_model=bodies.InstancePage,
    summary="List instances",
    responses=COLLECTION_ERRORS,
)
async def list_instances(request: Request, use: Use) -> Response:
    return await _list(request, use, views.INSTANCE_LIST_FIELDS)


@router.get(
    "/instances/detail",
    response_model=bodies.InstancePage,
    summary="List instances with details",
    responses=COLLECTION_ERRORS,
)
async def list_instances_detail(request: Request, use: Use) -> Response:
    return await _list(request, use, None)


@router.get(
    "/instances/{instance_ident}",
    response_model=bodies.Instance | bodies.InstanceFields,
    summary="Show an instance",
    responses=ONE_ERRORS,
)
async def show_instance(request: Request, use: Use, instance_ident: str) -> Response:
    return await instance_response(request, use, instance_ident)


async def instance_response(request: Request, use: UseCases, instance_ident: str) -> Response:
    """GET of one instance, also answered ahead of FastAPI's routing (``api/hot.py``)."""
    fields = None
    if request.scope["query_string"]:  # parsing an empty one costs more than this test
        fields = views.parse_fields(request.query_params.get("fields"), views.INSTANCE_FIELDS)
    record = await use(use.services.instances.get, instance_ident)
    return json_response(views.instance(record, use.base, fields))


@router.patch(
    "/instances/{instance_ident}",
    response_model=bodies.Instance,
    summary="Update an instance (JSON Patch)",
    responses=CHANGE_ERRORS,
)
async def update_instance(
    instance_ident: str,
    operations: schemas.InstancePatch,
    use: UseCases = allowed_to("mogan:instance:update"),
) -> Response:
    patch = schemas.patch_document(operations)
    record = await use(use.services.instances.update, instance_ident, patch)
    return json_response(views.instance(record, use.base))


@router.delete(
    "/instances/{instance_ident}",
    status_code=204,
    summary="Delete an instance",
    responses=CHANGE_ERRORS,
)
async def delete_instance(use: Use, instance_ident: str) -> Response:
    await use(use.services.instances.delete, instance_ident)
    return Response(status_code=204)


@router.get(
    "/instances/{instance_ident}/states",
    response_model=bodies.InstanceStates,
    summary="Show an instance's power state",
    responses=ONE_ERRORS,
)
async def instance_states(use: Use, instance_ident: str) -> Response:
    instance = await use(use.services.instances.get_states, instance_ident)
    return json_response(
        {
            "power_state": instance.power_state,
            "target_power_state": instance.target_power_state,
            "status": instance.status,
            "target_status": states.TARGET_STATUS.get(instance.status),
        }
    )


@router.put(
    "/instances/{instance_ident}/states/lock",
    response_model=bodies.Instance,
    summary="Lock an instance against changes by non-administrators, or unlock it",
    responses=CHANGE_ERRORS,
)
async def set_lock_state(
    instance_ident: str,
    body: schemas.LockRequest,
    use: UseCases = allowed_to("mogan:instance:set_lock_state"),
) -> Response:
    record = await use(use.services.instances.set_lock, instance_ident, body)
    return json_response(views.instance(record, use.base))


@router.put(
    "/instances/{instance_ident}/states/power",
    status_code=202,
    response_class=Response,
    summary="Change an instance's power",
    responses={
        202: {"description": "Accepted (no body); `Location` is the states."},
        **CHANGE_ERRORS,
    },
)
async def set_power_state(
    instance_ident: str,
    body: schemas.PowerRequest,
    use: UseCases = allowed_to("mogan:instance:set_power_state"),
) -> Response:
    await use(
        use.services.instances.set_power_state,
        instance_ident,
        body.target,
    )
    return Response(
        status_code=202,
        headers={"Location": f"{use.base}/v1/instances/{instance_ident}/states"},
    )


@router.put(
    "/instances/{instance_ident}/states/provision",
    status_code=202,
    response_class=Response,
    summary="Rebuild an instance on its node from an image",
    responses={
        202: {"description": "Accepted (no body); `Location` is the instance."},
        **CHANGE_ERRORS,
    },
)
async def set_provision_state(
    instance_ident: str,
    body: schemas.RebuildRequest,
    use: UseCases = allowed_to("mogan:instance:rebuild"),
) -> Response:
    await use(use.services.instances.rebuild, instance_ident, body)
    return Response(
        status_code=202,
        headers={"Location": f"{use.base}/v1/instances/{instance_ident}"},
    )


@router.post(
    "/instances/{instance_ident}/states/rescue",
    status_code=202,
    response_model=bodies.RescueAccepted,
    summary="Rescue an instance: boot its node into a rescue system, its disk untouched",
    responses={
        202: {"description": "Accepted; `Location` is the states. The body carries the rescue "
              "password (the one given, or one made for it), shown this once."},
        **CHANGE_ERRORS,
    },
)  # fmt: skip
async def rescue_instance(
    instance_ident: str,
    body: schemas.RescueRequest,
    use: UseCases = allowed_to("mogan:instance:rescue"),
) -> Response:
    password = await use(use.services.instances.rescue, instance_ident, body)
    return json_response(
        {"rescue_password": password},
        status=202,
        headers={"Location": f"{use.base}/v1/instances/{instance_ident}/states"},
    )


@router.delete(
    "/instances/{instance_ident}/states/rescue",
    status_code=202,
    response_class=Response,
    summary="Unrescue an instance: boot its own disk again",
    responses={
        202: {"description": "Accepted (no body); `Location` is the states."},
        **CHANGE_ERRORS,
    },
)
async def unrescue_instance(
    instance_ident: str,
    use: UseCases = allowed_to("mogan:instance:unrescue"),
) -> Response:
    await use(use.services.instances.unrescue, instance_ident)
    return Response(
        status_code=202,
        headers={"Location": f"{use.base}/v1/instances/{instance_ident}/states"},
    )


@router.post(
    "/instances/{instance_ident}/remote_consoles",
    response_model=bodies.RemoteConsoleOpened,
    summary="Open an instance's serial console: a WebSocket URL with a single-use token",
    responses=CHANGE_ERRORS,
)
async def open_remote_console(
    instance_ident: str,
    body: schemas.RemoteConsole | schemas.RemoteConsoleWrapped,
    use: UseCases = allowed_to("mogan:instance:console"),
) -> Response:
    asked = body.remote_console if isinstance(body, schemas.RemoteConsoleWrapped) else body
    token = await use(use.services.consoles.open, instance_ident, asked.protocol, asked.type)
    base = use.base.replace("http", "ws", 1)  # http → ws, https → wss
    url = f"{base}/v1/consoles/serial?{urlencode({'token': token})}"
    return json_response(
        {"remote_console": {"protocol": asked.protocol, "type": asked.type, "url": url}}
    )


@router.post(
    "/instances/{instance_ident}/networks/interfaces",
    status_code=202,
    response_class=Response,
    summary="Attach an interface: another NIC of the instance's node on a network",
    responses={
        202: {"description": "Accepted (no body); `Location` is the instance."},
        **CHANGE_ERRORS,
    },
)
async def attach_interface(
    instance_ident: str,
    body: schemas.NetworkRequest,
    use: UseCases = allowed_to("mogan:instance:interfaces"),
) -> Response:
    await use(use.services.instances.attach_interface, instance_ident, body)
    return Response(
        status_code=202, headers={"Location": f"{use.base}/v1/instances/{instance_ident}"}
    )


@router.delete(
    "/instances/{instance_ident}/networks/interfaces/{port_id}",
    status_code=202,
    response_class=Response,
    summary="Detach an interface: take its port off the instance",
    responses={
        202: {"description": "Accepted (no body); `Location` is the instance."},
        **CHANGE_ERRORS,
    },
)
async def detach_interface(
    instance_ident: str,
    port_id: str,
    use: UseCases = allowed_to("mogan:instance:interfaces"),
) -> Response:
    await use(use.services.instances.detach_interface, instance_ident, port_id)
    return Response(
        status_code=202, headers={"Location": f"{use.base}/v1/instances/{instance_ident}"}
    )


@router.post(
    "/instances/{instance_ident}/networks/floatingips",
    status_code=204,
    response_class=Response,
    summary="Associate a floating IP with the instance (Neutron only)",
    responses=CHANGE_ERRORS,
)
async def associate_floating_ip(
    instance_ident: str,
    body: schemas.FloatingIpAssociate,
    use: UseCases = allowed_to("mogan:instance:floatingips"),
) -> Response:
    await use(use.services.floating_ips.associate, instance_ident, body)
    return Response(status_code=204)


@router.delete(
    "/instances/{instance_ident}/networks/floatingips/{address}",
    status_code=204,
    response_class=Response,
    summary="Disassociate a floating IP from the instance (Neutron only)",
    responses=CHANGE_ERRORS,
)
async def disassociate_floating_ip(
    instance_ident: str,
    address: str,
    use: UseCases = allowed_to("mogan:instance:floatingips"),
) -> Response:
    await use(use.services.floating_ips.disassociate, instance_ident, address)
    return Response(status_code=204)
