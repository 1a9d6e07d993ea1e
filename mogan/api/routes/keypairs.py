"""``/keypairs``: a user's SSH keys (as Nova's os-keypairs, in Mogan's conventions)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from mogan.api import views
from mogan.api.errors import CHANGE_ERRORS, COLLECTION_ERRORS, CREATE_ERRORS, ONE_ERRORS
from mogan.api.http import (
    collection_response,
    json_response,
    limit_param,
)
from mogan.api.usecases import Use, UseCases, allowed_to
from mogan.services import schemas
from mogan.wire import bodies

router = APIRouter(tags=["keypairs"])


@router.post(
    "/keypairs",
    response_model=bodies.KeyPair,
    status_code=201,
    summary="Generate a key pair (the private key is in this answer only) or import one",
    responses=CREATE_ERRORS,
)
async def create_keypair(
    body: schemas.KeypairCreate,
    use: UseCases = allowed_to("mogan:keypair:create"),
) -> Response:
    created = await use(use.services.keypairs.create, body)
    base = use.base
    return json_response(
        views.keypair(created.keypair, base, private_key=created.private_key),
        201,
        {"Location": f"{base}/v1/keypairs/{created.keypair.name}"},
    )


@router.get(
    "/keypairs",
    response_model=bodies.KeyPairPage,
    summary="List a user's key pairs (yours, or user_id's)",
    responses=COLLECTION_ERRORS,
)
async def list_keypairs(request: Request, use: Use, user_id: str | None = None) -> Response:
    found, next_marker = await use(
        use.services.keypairs.list,
        user_id=user_id,
        limit=limit_param(request),
        marker=request.query_params.get("marker"),
    )
    base = use.base
    return collection_response(
        request, "keypairs", found, lambda k: views.keypair(k, base), next_marker
    )


@router.get(
    "/keypairs/{keypair_name}",
    response_model=bodies.KeyPair,
    summary="Show a key pair",
    responses=ONE_ERRORS,
)
async def show_keypair(use: Use, keypair_name: str, user_id: str | None = None) -> Response:
    keypair = await use(
        use.services.keypairs.get,
        keypair_name,
        user_id=user_id,
    )
    return json_response(views.keypair(keypair, use.base))


@router.delete(
    "/keypairs/{keypair_name}",
    status_code=204,
    summary="Delete a key pair",
    responses=CHANGE_ERRORS,
)
async def delete_keypair(use: Use, keypair_name: str, user_id: str | None = None) -> Response:
    await use(
        use.services.keypairs.delete,
        keypair_name,
        user_id=user_id,
    )
    return Response(status_code=204)
