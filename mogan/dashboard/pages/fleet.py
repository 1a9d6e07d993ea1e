"""The operators' fleet: nodes as tiles by zone and rack, a node's page and its actions."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mogan.dashboard import words
from mogan.dashboard.backend import ApiError, Caller
from mogan.dashboard.session import Session
from mogan.dashboard.web import logged_in, redirect, render
from mogan.wire import bodies

#: The states tiles are coloured by, in the legend's order.
STATES = ("available", "active", "cleaning", "inspecting", "maintenance", "error", "other")


def _matches(node: bodies.Node, state: str, zone: str, search: str) -> bool:
    if state and words.node_state(node) != state:
        return False
    if zone and (node.availability_zone or "") != zone:
        return False
    if search:
        haystack = " ".join(
            (node.name, node.uuid, node.instance_uuid or "", node.resource_class or "")
        ).lower()
        return search.lower() in haystack
    return True


async def _fleet_context(request: Request, caller: Caller) -> dict[str, Any]:
    nodes = await caller.every("/v1/nodes", "nodes", bodies.Node, limit=1000)
    state = request.query_params.get("state", "")
    zone = request.query_params.get("zone", "")
    search = request.query_params.get("q", "").strip()
    counts = Counter(words.node_state(n) for n in nodes)
    zones = sorted({n.availability_zone or "" for n in nodes})
    shown = [n for n in nodes if _matches(n, state, zone, search)]
    grouped: dict[str, dict[str, list[bodies.Node]]] = defaultdict(lambda: defaultdict(list))
    for node in shown:
        rack = str(node.properties.get("rack") or "")
        grouped[node.availability_zone or ""][rack].append(node)
    groups = [(zone_name, sorted(racks.items())) for zone_name, racks in sorted(grouped.items())]
    return {
        "groups": groups,
        "counts": counts,
        "states": STATES,
        "zones": zones,
        "total": len(nodes),
        "shown": len(shown),
        "filters": {"state": state, "zone": zone, "q": search},
    }


@logged_in
async def fleet(request: Request, session: Session, caller: Caller) -> Response:
    context = await _fleet_context(request, caller)
    return render(request, "fleet.html", session, caller=caller, **context)


@logged_in
async def tiles(request: Request, session: Session, caller: Caller) -> Response:
    """The tiles alone, for the search and filters as they are typed."""
    context = await _fleet_context(request, caller)
    return render(request, "_tiles.html", session, caller=caller, **context)


@logged_in
async def show_node(request: Request, session: Session, caller: Caller) -> Response:
    ident = request.path_params["ident"]
    node, history = await asyncio.gather(
        caller.read(bodies.Node, f"/v1/nodes/{ident}"),
        caller.read(bodies.NodeHistory, f"/v1/nodes/{ident}/history"),
    )
    inventory: bodies.NodeInventory | None
    try:
        inventory = await caller.read(bodies.NodeInventory, f"/v1/nodes/{ident}/inventory")
    except ApiError as exc:
        if exc.status != 409:  # never inspected yet
            raise
        inventory = None
    instance: bodies.Instance | None = None
    if node.instance_uuid:
        try:
            instance = await caller.read(bodies.Instance, f"/v1/instances/{node.instance_uuid}")
        except ApiError:
            instance = None
    try:
        checks = await caller.read(bodies.InterfaceChecks, f"/v1/nodes/{ident}/validate")
    except ApiError:  # never verified yet (an Ironic node, or its enrolment's check runs)
        checks = None
    return render(
        request,
        "node.html",
        session,
        caller=caller,
        node=node,
        history=history.history,
        inventory=inventory,
        instance=instance,
        checks=checks.root if checks else None,
        busy=node.provision_state in ("verifying", "cleaning", "inspecting"),
    )


@logged_in
async def node_action(request: Request, session: Session, caller: Caller) -> Response:
    ident, action = request.path_params["ident"], request.path_params["action"]
    form = await request.form()
    path = f"/v1/nodes/{ident}"
    if action == "maintenance":
        reason = str(form.get("reason") or "").strip() or None
        await caller.put(f"{path}/maintenance", {"reason": reason} if reason else None)
        notice = "The node is in maintenance."
    elif action == "unmaintenance":
        await caller.delete(f"{path}/maintenance")
        notice = "Maintenance lifted."
    elif action == "inspect":
        await caller.post(f"{path}/inspect")
        notice = "Inspection started."
    elif action == "clean":
        mode = str(form.get("mode") or "")
        await caller.post(f"{path}/clean", {"mode": mode} if mode else None)
        notice = "Cleaning started."
    elif action == "verify":
        await caller.post(f"{path}/verify")
        notice = "Verification started."
    else:
        return redirect(request, f"/nodes/{ident}")
    return redirect(request, f"/nodes/{ident}", notice=notice)
