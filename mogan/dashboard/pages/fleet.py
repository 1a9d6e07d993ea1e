"""The operators' fleet: nodes as tiles by zone and rack, a node's page and its actions."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mogan.core.identifiers import canonical_uuid
from mogan.dashboard import words
from mogan.dashboard.backend import ApiError, Caller
from mogan.dashboard.session import Session
from mogan.dashboard.web import logged_in, redirect, render
from mogan.wire import bodies

#: The states tiles are coloured by, in the legend's order.
STATES = ("available", "active", "cleaning", "inspecting", "maintenance", "error", "other")


#: Tiles on one page of the fleet (one page of the API's node list).
PAGE = 500


def _state_filters(state: str, groups: list[bodies.NodeGroup]) -> dict[str, str] | None:
    """The node list's filters that select the tiles of colour ``state``, worked out from the
    fleet's groups (None: no node has it)."""
    if state == "maintenance":
        return {"maintenance": "true"}
    mine = [
        g
        for g in groups
        if not g.maintenance
        and words.tile_state(g.provision_state, g.maintenance, g.associated) == state
    ]
    if not mine:
        return None
    filters = {
        "maintenance": "false",
        "provision_state": ",".join(sorted({g.provision_state for g in mine})),
    }
    associated = {g.associated for g in mine}
    if len(associated) == 1:
        filters["associated"] = str(associated.pop()).lower()
    return filters


async def _search(caller: Caller, query: str, filters: dict[str, str]) -> list[bodies.Node]:
    """The node a search names: by UUID (its own, or its instance's), else by exact name."""
    if canonical_uuid(query):
        try:
            return [await caller.read(bodies.Node, f"/v1/nodes/{query}")]
        except ApiError as exc:
            if exc.status != 404:
                raise
        by = {"instance_uuid": query}
    else:
        by = {"name": query}
    body = await caller.get("/v1/nodes", **filters, **by)
    return [bodies.Node.model_validate(item) for item in body["nodes"]]


async def _fleet_context(request: Request, caller: Caller) -> dict[str, Any]:
    """One page of tiles, filtered by the API (state, zone, a search by name or UUID), and
    the legend from the fleet's summary: the same cost at 20,000 nodes as at 20."""
    summary = await caller.read(bodies.NodeSummary, "/v1/nodes/summary")
    state = request.query_params.get("state", "")
    zone = request.query_params.get("zone", "")
    search = request.query_params.get("q", "").strip()
    marker = request.query_params.get("marker", "")
    counts: Counter[str] = Counter()
    for group in summary.groups:
        counts[words.tile_state(group.provision_state, group.maintenance, group.associated)] += (
            group.count
        )
    zones = sorted({g.availability_zone or "" for g in summary.groups})
    filters = _state_filters(state, summary.groups) if state else {}
    shown: list[bodies.Node] = []
    next_marker = None
    if filters is not None:
        if zone:
            filters["availability_zone"] = zone
        if search:
            shown = await _search(caller, search, filters)
        else:
            page = {"limit": PAGE, **({"marker": marker} if marker else {})}
            body = await caller.get("/v1/nodes", **filters, **page)
            shown = [bodies.Node.model_validate(item) for item in body["nodes"]]
            next_marker = shown[-1].uuid if body.get("next") and shown else None
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
        "total": summary.total,
        "shown": len(shown),
        "filters": {"state": state, "zone": zone, "q": search},
        "next_marker": next_marker,
        "paged": bool(marker),
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
