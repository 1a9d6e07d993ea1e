"""How nodes are named in text that tenants may read: action events and faults.

The engine and the drivers write a node into such text as a *mention* (``mention()``), which
is rendered when the text is shown: to operators (who see the fleet) as the node's name, as
before; to tenants as an opaque host id (``host_id()``, as Nova shows ``hostId``): the same for
every instance of one project on one node, different across projects, so a tenant can check
its own affinity without learning the fleet. Text for tenants also loses every URL (an image's
location on the operator's side, a BMC's address).
"""

from __future__ import annotations

import hashlib
import re
from typing import overload

_OPEN, _CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧: brackets no message of ours otherwise holds
_MENTION = re.compile(f"{_OPEN}node ([0-9a-f-]{{36}})\\|([^{_CLOSE}]*){_CLOSE}")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"]+")


def mention(node_uuid: str, name: str) -> str:
    """The node as it stands in text that is rendered before anyone reads it."""
    return f"{_OPEN}node {node_uuid}|{name.replace(_CLOSE, '')}{_CLOSE}"


def host_id(project_id: str, node_uuid: str) -> str:
    """The node as one project sees it: a hash of the two (Nova's ``hostId``)."""
    return hashlib.sha224(f"{project_id}{node_uuid}".encode()).hexdigest()


def for_operator(text: str) -> str:
    """``text`` with each mention as the node's name."""
    return _MENTION.sub(lambda match: match.group(2), text) if _OPEN in text else text


@overload
def shown(text: str, *, operator: bool, project_id: str | None) -> str: ...
@overload
def shown(text: None, *, operator: bool, project_id: str | None) -> None: ...
def shown(text: str | None, *, operator: bool, project_id: str | None) -> str | None:
    """``text`` as its reader reads it: ``for_operator`` or ``for_tenant`` (None stays)."""
    if text is None:
        return None
    return for_operator(text) if operator else for_tenant(text, project_id or "")


def for_tenant(text: str, project_id: str) -> str:
    """``text`` with each mention as the project's host id of the node, and no URLs."""
    if _OPEN in text:
        text = _MENTION.sub(lambda match: f"host {host_id(project_id, match.group(1))}", text)
    return _URL.sub("(a URL)", text)
