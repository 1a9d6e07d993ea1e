"""What every HTTP client of Mogan reads the same way, whatever its transport: the fault in
an error body, and the next page of a collection. The SDK (keystoneauth, blocking) and the
dashboard (httpx over ASGI, async) both use these, so a change of either convention is made
once; ``mogan.wire.bodies`` types the bodies themselves. A package of its own, importing
nothing of Mogan's but the API's words (``mogan.core.states``): the dashboard must not load
the SDK (keystoneauth) to use it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def fault_of(status: int, text: str, reason: str | None = None) -> str:
    """The ``faultstring`` of an OpenStack error body (``{"error_message": "{\\"faultcode\\":
    …, \\"faultstring\\": …}"}``); the body itself, or the status, when it is not one."""
    try:
        return str(json.loads(json.loads(text)["error_message"])["faultstring"])
    except (ValueError, KeyError, TypeError):
        return text or reason or f"HTTP {status}"


def next_page(body: Mapping[str, Any], key: str) -> str | None:
    """The path (and query) of the page after ``body``, a page of collection ``key``; None
    on the last page. The ``next`` link is absolute (``[api] public_endpoint``); the path
    from ``/v1/`` on is what a client under its own endpoint asks for."""
    following = body.get("next")
    if not following or not body[key]:
        return None
    marker = str(following).find("/v1/")
    return str(following)[marker:] if marker >= 0 else str(following)
