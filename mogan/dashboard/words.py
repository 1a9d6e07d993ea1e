"""How the dashboard says things to people: colours, ages, addresses, faults in plain words."""

from __future__ import annotations

import datetime as dt

from mogan.wire import bodies

#: Instance statuses that change by themselves: a page showing one keeps itself up to date.
IN_FLUX = frozenset({"building", "deleting", "rebuilding", "rescuing", "unrescuing"})

_STATUS_CLASSES = {
    "active": "ok",
    "building": "busy",
    "rebuilding": "busy",
    "deleting": "busy",
    "rescuing": "busy",
    "unrescuing": "busy",
    "rescue": "busy",
    "error": "bad",
}

#: What a fault's opening words mean, and what the person can do about it.
_EXPLANATIONS = (
    (
        "No valid node",
        "No free machine matched this request: every node that fits the type, zone and "
        "networks is in use, being cleaned or in maintenance. Delete this instance and try "
        "again later, or ask your operator for capacity.",
    ),
    (
        "Deploy failed",
        "The image could not be written to the machines tried. Delete this instance and "
        "try again; if it keeps failing, give your operator the request id.",
    ),
    (
        "Quota exceeded",
        "Your project is at its limit. Delete something, or ask your operator to raise it.",
    ),
    (
        "Tear-down",
        "The machine could not be switched off and cleared. Try deleting again; if it "
        "keeps failing, give your operator the request id.",
    ),
)


def status_class(status: str | None) -> str:
    return _STATUS_CLASSES.get(status or "", "neutral")


def node_state(node: bodies.Node) -> str:
    """The one word a fleet tile is coloured by."""
    return tile_state(node.provision_state, node.maintenance, node.instance_uuid is not None)


def tile_state(provision_state: str, maintenance: bool, associated: bool) -> str:
    """The tile colour of a node in ``provision_state``, serving an instance or not."""
    if maintenance:
        return "maintenance"
    if provision_state in ("clean failed", "inspect failed", "error", "deploy failed"):
        return "error"
    if provision_state in ("cleaning", "clean wait"):
        return "cleaning"
    if provision_state in ("inspecting", "inspect wait"):
        return "inspecting"
    if provision_state == "active" or associated:
        return "active"
    if provision_state == "available":
        return "available"
    return "other"


def explain(fault: bodies.Fault | None) -> str | None:
    """A fault's message in words a tenant can act on (None without a fault)."""
    if fault is None:
        return None
    message = fault.message
    for opening, meaning in _EXPLANATIONS:
        if message.startswith(opening) or opening.lower() in message.lower():
            return meaning
    return "Something went wrong with this instance. Give your operator the details below."


def refusal_title(status: int) -> str:
    return {
        400: "That request was not valid",
        403: "Not allowed",
        404: "Not found",
        409: "Not possible right now",
    }.get(status, "Mogan could not do that")


def age(timestamp: str | None, now: dt.datetime | None = None) -> str:
    """``3 min``, ``2 h``, ``5 d`` since an API timestamp."""
    if not timestamp:
        return ""
    then = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if then.tzinfo is None:
        then = then.replace(tzinfo=dt.UTC)
    seconds = max(((now or dt.datetime.now(dt.UTC)) - then).total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def addresses(network_info: dict[str, bodies.InstancePort]) -> str:
    return ", ".join(ip.ip_address for port in network_info.values() for ip in port.fixed_ips)
