"""What tenants choose from: types with their extra specs and access, images, networks with
their usage."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from mogan.dashboard.backend import ApiError, Caller
from mogan.dashboard.session import Session
from mogan.dashboard.web import logged_in, render
from mogan.wire import bodies


@logged_in
async def types(request: Request, session: Session, caller: Caller) -> Response:
    found = await caller.every("/v1/types", "types", bodies.InstanceType)
    access: dict[str, list[str]] = {}
    if session.may("mogan:instance_type:access"):
        private = [t for t in found if not t.is_public]
        answers = await asyncio.gather(
            *(caller.read(bodies.TypeAccessList, f"/v1/types/{t.uuid}/access") for t in private)
        )
        access = {
            t.uuid: [grant.tenant_id for grant in answer.type_access]
            for t, answer in zip(private, answers, strict=True)
        }
    return render(request, "types.html", session, caller=caller, types=found, access=access)


@logged_in
async def images(request: Request, session: Session, caller: Caller) -> Response:
    found = await caller.every("/v1/images", "images", bodies.Image)
    return render(request, "images.html", session, caller=caller, images=found)


@logged_in
async def networks(request: Request, session: Session, caller: Caller) -> Response:
    found = await caller.every("/v1/networks", "networks", bodies.Network)

    async def ports_of(uuid: str) -> int | None:
        try:
            return len((await caller.read(bodies.Ports, f"/v1/networks/{uuid}/ports")).ports)
        except ApiError:
            return None

    usage = await asyncio.gather(*(ports_of(n.uuid) for n in found))
    return render(
        request,
        "networks.html",
        session,
        caller=caller,
        networks=list(zip(found, usage, strict=True)),
    )
