"""``/images`` and ``/networks``: what operators offer tenants, managed the same way.

Both are a collection an administrator writes and everyone reads: list, create, show,
update by JSON Patch, delete. ``_catalog`` declares those five routes for one of them;
networks add their ports. (No ``from __future__ import annotations`` here: FastAPI reads the
body models from the closures' annotations, which must be the classes, not their names.)
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from mogan.api import views
from mogan.api.errors import CHANGE_ERRORS, COLLECTION_ERRORS, CREATE_ERRORS, ONE_ERRORS
from mogan.api.http import collection_response, json_response, page_request
from mogan.api.usecases import Use, UseCases, allowed_to
from mogan.services import schemas
from mogan.services.bundle import Services
from mogan.wire import bodies

router = APIRouter()


def _catalog(
    *,
    name: str,
    noun: str,
    service: Callable[[Services], Any],
    view: Callable[[Any, str], dict[str, Any]],
    body_model: type[bodies.Body],
    page_model: type[bodies.Page],
    create_model: type[BaseModel],
    patch_model: type[BaseModel],
    write_rule: str,
    summaries: dict[str, str],
) -> None:
    """Declare the five routes of the collection ``name`` (``images``) of ``noun``s."""
    one = f"/{name}/{{{noun}_uuid}}"
    #: The path's ``{image_uuid}`` (or ``{network_uuid}``), as the document names it.
    Ident = Annotated[str, Path(alias=f"{noun}_uuid")]

    async def list_all(request: Request, use: Use) -> Response:
        rows, next_marker = await use(service(use.services).list, page_request(request))
        base = use.base
        return collection_response(request, name, rows, lambda r: view(r, base), next_marker)

    async def create(
        body: create_model,  # type: ignore[valid-type]
        use: UseCases = allowed_to(write_rule),
    ) -> Response:
        row = await use(service(use.services).create, body)
        shown = view(row, use.base)
        return json_response(shown, 201, {"Location": f"{use.base}/v1/{name}/{shown['uuid']}"})

    async def show(use: Use, uuid: Ident) -> Response:
        row = await use(service(use.services).get, uuid)
        return json_response(view(row, use.base))

    async def update(
        uuid: Ident,
        operations: patch_model,  # type: ignore[valid-type]
        use: UseCases = allowed_to(write_rule),
    ) -> Response:
        patch = schemas.patch_document(operations)
        row = await use(service(use.services).update, uuid, patch)
        return json_response(view(row, use.base))

    async def delete(use: Use, uuid: Ident) -> Response:
        await use(service(use.services).delete, uuid)
        return Response(status_code=204)

    as_page, as_one = {"response_model": page_model}, {"response_model": body_model}
    routes: list[tuple[str, str, Callable[..., Any], str, dict[str, Any]]] = [
        ("GET", f"/{name}", list_all, "list", {"responses": COLLECTION_ERRORS, **as_page}),
        (
            "POST",
            f"/{name}",
            create,
            "create",
            {"status_code": 201, "responses": CREATE_ERRORS, **as_one},
        ),
        ("GET", one, show, "show", {"responses": ONE_ERRORS, **as_one}),
        ("PATCH", one, update, "update", {"responses": CHANGE_ERRORS, **as_one}),
        ("DELETE", one, delete, "delete", {"status_code": 204, "responses": CHANGE_ERRORS}),
    ]
    for method, path, endpoint, kind, extra in routes:
        endpoint.__name__ = f"{kind}_{name if kind == 'list' else noun}"
        router.add_api_route(
            path, endpoint, methods=[method], tags=[name], summary=summaries[kind], **extra
        )


_catalog(
    name="images",
    noun="image",
    service=lambda services: services.images,
    view=views.image,
    body_model=bodies.Image,
    page_model=bodies.ImagePage,
    create_model=schemas.ImageCreate,
    patch_model=schemas.ImagePatch,
    write_rule="mogan:image:write",
    summaries={
        "list": "List images",
        "create": "Register an image",
        "show": "Show an image",
        "update": "Update an image (JSON Patch)",
        "delete": "Delete an image",
    },
)
_catalog(
    name="networks",
    noun="network",
    service=lambda services: services.networks,
    view=views.network,
    body_model=bodies.Network,
    page_model=bodies.NetworkPage,
    create_model=schemas.NetworkCreate,
    patch_model=schemas.NetworkPatch,
    write_rule="mogan:network:write",
    summaries={
        "list": "List networks",
        "create": "Create a network",
        "show": "Show a network",
        "update": "Rename a network (JSON Patch)",
        "delete": "Delete a network",
    },
)


@router.get(
    "/networks/{network_uuid}/ports",
    response_model=bodies.Ports,
    tags=["networks"],
    summary="List the ports allocated on a network",
    responses=ONE_ERRORS,
)
async def list_ports(use: Use, network_uuid: str) -> Response:
    records = await use(use.services.networks.list_ports, network_uuid)
    return json_response({"ports": [views.port(r) for r in records]})
