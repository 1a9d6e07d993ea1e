"""A tenant's instances: the list, the create form, an instance's page, its actions."""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from mogan.core.states import PowerTarget
from mogan.dashboard import words
from mogan.dashboard.backend import ApiError, Caller
from mogan.dashboard.session import Session
from mogan.dashboard.web import logged_in, redirect, render
from mogan.wire import bodies

#: What each action button asks of the API, the rule that allows it, and whether it needs a
#: confirmation (it stops or destroys something).
ACTIONS: dict[str, tuple[str, str, bool]] = {
    "on": ("Power on", "mogan:instance:set_power_state", False),
    "off": ("Power off", "mogan:instance:set_power_state", True),
    "reboot": ("Reboot", "mogan:instance:set_power_state", True),
    "rebuild": ("Rebuild", "mogan:instance:rebuild", True),
    "rescue": ("Rescue", "mogan:instance:rescue", True),
    "unrescue": ("Unrescue", "mogan:instance:unrescue", False),
    "lock": ("Lock", "mogan:instance:set_lock_state", False),
    "unlock": ("Unlock", "mogan:instance:set_lock_state", False),
    "delete": ("Delete", "mogan:instance:delete", True),
    #: A page of its own (a link, not a change).
    "console": ("Console", "mogan:instance:console", False),
}
#: The power actions the page offers (each ends in ``PowerTarget.observed``, which the page
#: waits to see).
_POWER = (PowerTarget.ON, PowerTarget.OFF, PowerTarget.REBOOT)


def offered(session: Session, instance: bodies.Instance) -> list[str]:
    """The actions the caller may take on the instance as it is now (none that would fail)."""
    status, power = instance.status, instance.power_state
    if status == "deleting":
        return []
    locked = instance.locked and not session.may("mogan:instance:ignore_lock")
    possible = []
    if status == "active" and not locked:
        possible += ["on"] if power == "power off" else ["off", "reboot"]
    if status in ("active", "error") and not locked:
        possible.append("rebuild")
    if status == "active" and not locked:
        possible.append("rescue")
    if status == "rescue" and not locked:
        possible.append("unrescue")
    if not instance.locked:
        possible.append("lock")
    elif instance.locked_by != "admin" or session.may("mogan:instance:ignore_lock"):
        possible.append("unlock")  # an administrator's lock is lifted by administrators only
    if not locked:
        possible.append("delete")
    if status in ("active", "rescue") and not locked:
        possible.append("console")
    return [name for name in possible if session.may(ACTIONS[name][1])]


def in_flux(instance: bodies.Instance, expect: str | None) -> bool:
    return instance.status in words.IN_FLUX or (
        expect is not None and instance.power_state != expect
    )


async def _names(caller: Caller) -> dict[str, str]:
    """uuid → name of the types and images the caller can see."""
    types, images = await asyncio.gather(
        caller.every("/v1/types", "types", bodies.InstanceType),
        caller.every("/v1/images", "images", bodies.Image),
    )
    return {t.uuid: t.name for t in types} | {i.uuid: i.name for i in images}


async def _rows_context(request: Request, session: Session, caller: Caller) -> dict[str, Any]:
    everyone = session.is_admin and request.query_params.get("all") == "1"
    instances, names = await asyncio.gather(
        caller.every(
            "/v1/instances/detail",
            "instances",
            bodies.Instance,
            all_tenants=1 if everyone else None,
        ),
        _names(caller),
    )
    expect = request.query_params.get("expect")
    return {
        "instances": instances,
        "names": names,
        "everyone": everyone,
        "live": any(in_flux(i, None) for i in instances) or bool(expect),
    }


@logged_in
async def list_instances(request: Request, session: Session, caller: Caller) -> Response:
    context = await _rows_context(request, session, caller)
    return render(request, "instances.html", session, caller=caller, **context)


@logged_in
async def instance_rows(request: Request, session: Session, caller: Caller) -> Response:
    """The list's rows, for its live updates."""
    context = await _rows_context(request, session, caller)
    return render(request, "_instance_rows.html", session, caller=caller, **context)


@logged_in
async def new_instance(request: Request, session: Session, caller: Caller) -> Response:
    return render(
        request,
        "new_instance.html",
        session,
        caller=caller,
        **await _choices(session, caller),
        error=None,
        form={},
    )


async def _choices(session: Session, caller: Caller) -> dict[str, Any]:
    types, images, networks, keypairs, zones = await asyncio.gather(
        caller.every("/v1/types", "types", bodies.InstanceType),
        caller.every("/v1/images", "images", bodies.Image),
        caller.every("/v1/networks", "networks", bodies.Network),
        caller.every("/v1/keypairs", "keypairs", bodies.KeyPair),
        caller.read(bodies.Zones, "/v1/availability_zones"),
    )
    usage: bodies.QuotaUsage | None = None
    if session.may("mogan:quota:usage"):
        try:
            usage = await caller.read(bodies.QuotaUsage, f"/v1/quotas/{session.project_id}/usage")
        except ApiError:
            usage = None
    return {
        "types": types,
        "images": images,
        "networks": networks,
        "keypairs": keypairs,
        "zones": zones.availability_zones,
        "usage": usage,
    }


@logged_in
async def create_instance(request: Request, session: Session, caller: Caller) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    body: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "instance_type_uuid": form.get("type", ""),
        "image_uuid": form.get("image", ""),
        "networks": [{"net_id": form["network"]}] if form.get("network") else [],
    }
    if form.get("keypair"):
        body["key_name"] = form["keypair"]
    if form.get("zone"):
        body["availability_zone"] = form["zone"]
    if form.get("user_data"):
        body["user_data"] = base64.b64encode(form["user_data"].encode()).decode()
    try:
        created = bodies.Instance.model_validate(await caller.post("/v1/instances", body))
    except ApiError as exc:
        if exc.status >= 500:
            raise
        return render(
            request,
            "new_instance.html",
            session,
            status=exc.status,
            caller=caller,
            **await _choices(session, caller),
            error=exc.message,
            form=form,
        )
    return redirect(request, f"/instances/{created.uuid}", notice=f"Creating {body['name']}.")


async def _instance_context(
    request: Request, session: Session, instance: bodies.Instance
) -> dict[str, Any]:
    expect = request.query_params.get("expect")
    return {
        "instance": instance,
        "offered": offered(session, instance),
        "actions": ACTIONS,
        "explanation": words.explain(instance.fault),
        "expect": expect,
        "live": in_flux(instance, expect),
    }


@logged_in
async def show_instance(request: Request, session: Session, caller: Caller) -> Response:
    uuid = request.path_params["uuid"]
    instance, history, names = await asyncio.gather(
        caller.read(bodies.Instance, f"/v1/instances/{uuid}"),
        caller.read(bodies.ActionPage, f"/v1/instances/{uuid}/actions", limit=20),
        _names(caller),
    )
    return render(
        request,
        "instance.html",
        session,
        caller=caller,
        history=history.actions,
        names=names,
        **await _instance_context(request, session, instance),
    )


@logged_in
async def instance_live(request: Request, session: Session, caller: Caller) -> Response:
    """The instance's state block, for its live updates: one GET of the instance per poll."""
    try:
        instance = await caller.read(
            bodies.Instance, f"/v1/instances/{request.path_params['uuid']}"
        )
    except ApiError as exc:
        if exc.status == 404:  # deleted meanwhile: back to the list
            return redirect(request, "/instances", notice="The instance is gone.")
        raise
    context = await _instance_context(request, session, instance)
    return render(request, "_instance_live.html", session, caller=caller, **context)


@logged_in
async def console(request: Request, session: Session, caller: Caller) -> Response:
    """The instance's serial console in xterm.js: a ticket from the API, relayed by the
    console proxy over a WebSocket to this same host."""
    uuid = request.path_params["uuid"]
    instance = await caller.read(bodies.Instance, f"/v1/instances/{uuid}")
    opened = await caller.post(
        f"/v1/instances/{uuid}/remote_consoles", {"protocol": "serial", "type": "websocket"}
    )
    # The API names itself as the dashboard's in-process caller sees it; the browser opens
    # the proxy on the host it is talking to.
    given = urlsplit(opened["remote_console"]["url"])
    scheme = "wss" if request.url.scheme == "https" else "ws"
    url = f"{scheme}://{request.url.netloc}{given.path}?{given.query}"
    return render(
        request, "console.html", session, caller=caller, instance=instance, console_url=url
    )


@logged_in
async def confirm(request: Request, session: Session, caller: Caller) -> Response:
    uuid, action = request.path_params["uuid"], request.path_params["action"]
    if action not in ACTIONS:
        return redirect(request, f"/instances/{uuid}")
    instance = await caller.read(bodies.Instance, f"/v1/instances/{uuid}")
    return render(
        request,
        "confirm.html",
        session,
        caller=caller,
        instance=instance,
        action=action,
        label=ACTIONS[action][0],
    )


@logged_in
async def act(request: Request, session: Session, caller: Caller) -> Response:
    uuid, action = request.path_params["uuid"], request.path_params["action"]
    path = f"/v1/instances/{uuid}"
    if action in _POWER:
        await caller.put(f"{path}/states/power", {"target": action})
        return redirect(
            request,
            f"/instances/{uuid}",
            expect=PowerTarget(action).observed,
            notice=f"{ACTIONS[action][0]} requested.",
        )
    if action == "rebuild":
        await caller.put(f"{path}/states/provision", {"target": "rebuild"})
    elif action == "rescue":
        # The password is shown on this answer only: never in a URL, a redirect or a log.
        answer = await caller.post(f"{path}/states/rescue", {})
        instance = await caller.read(bodies.Instance, path)
        return render(
            request,
            "rescued.html",
            session,
            caller=caller,
            instance=instance,
            rescue_password=answer["rescue_password"],
        )
    elif action == "unrescue":
        await caller.delete(f"{path}/states/rescue")
    elif action in ("lock", "unlock"):
        await caller.put(f"{path}/states/lock", {"target": action == "lock"})
    elif action == "delete":
        await caller.delete(path)
        return redirect(request, "/instances", notice="Deleting the instance.")
    else:
        return redirect(request, f"/instances/{uuid}")
    return redirect(request, f"/instances/{uuid}", notice=f"{ACTIONS[action][0]} requested.")
