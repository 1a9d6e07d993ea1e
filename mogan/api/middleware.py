"""Outermost ASGI middleware: a request id on every response and log line, and a last-resort
OpenStack error body so no response is ever a bare traceback or a plain-text 500."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
import uuid as uuid_module
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mogan.api.errors import error_body, error_response
from mogan.conf import MAX_REQUEST_BODY_SIZE
from mogan.core.logcontext import escape_controls, request_id_var

LOG = logging.getLogger("mogan.api.access")

REQUEST_ID_HEADER = b"x-openstack-request-id"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req-{uuid_module.uuid4()}"
        request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": None}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logging.getLogger(__name__).exception("Unhandled error")
            if status_holder["status"] is None:
                body = error_body(
                    500,
                    "An unexpected error occurred; the request id "
                    f"{request_id} identifies it in the service's logs.",
                )
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send_with_id({"type": "http.response.body", "body": body})
        finally:
            LOG.info(
                '%s "%s %s" %s %.1fms',
                scope.get("client", ("-",))[0],
                escape_controls(scope["method"]),
                # The path arrives percent-decoded: a %0A would start a forged line.
                escape_controls(
                    scope["path"]
                    + (
                        ("?" + scope["query_string"].decode("latin-1"))
                        if scope.get("query_string")
                        else ""
                    )
                ),
                status_holder["status"],
                (time.perf_counter() - started) * 1000,
            )


#: What a body may be sent as: JSON, and JSON Patch for a PATCH (RFC 6902's media type).
_JSON = b"application/json"
_JSON_PATCH = b"application/json-patch+json"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class GuardSettings:
    """What ``RequestGuard`` lets through (``[api]`` options)."""

    #: The largest request body, in bytes (``[api] max_request_body_size``'s default).
    max_body_size: int = MAX_REQUEST_BODY_SIZE
    #: Host names a request may be addressed to (IP literals always may); None: any.
    allowed_hosts: frozenset[str] | None = None
    #: Origins (``scheme://host[:port]``) a browser may send writes from, besides the API's
    #: own (the request's Host, or ``public_endpoint``).
    allowed_origins: frozenset[str] = frozenset()


class RequestGuard:
    """Refuses, before any route runs, what no route should ever see, with the OpenStack
    error body:

    - 400 for a Host that is not this service's (``allowed_hosts``): a web page whose name
      was re-pointed at a loopback Mogan (DNS rebinding) cannot reach it;
    - 403 for a write whose ``Origin`` is another site's: a page on any site the operator
      visits cannot drive the API from their browser (a "simple" cross-site POST has no
      preflight to stop it);
    - 400 for a NUL character in the path or the query (no database stores one);
    - 415 for a body that is not ``application/json`` (or ``application/json-patch+json``
      for a PATCH): a form or ``text/plain`` is what a cross-site page can send unasked;
    - 413 for a body over ``max_body_size``, before it is parsed (as oslo.middleware's
      sizelimit does), and 400 for a body holding ``NaN`` or ``Infinity``, which JSON does
      not have and no database column stores alike.
    """

    def __init__(self, app: ASGIApp, settings: GuardSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refuse_request(scope, headers)
        if refusal is None and scope["method"] in _WRITES:
            refusal, receive = await self._read_body(scope, headers, receive)
        if refusal is not None:
            status, message = refusal
            await error_response(status, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refuse_request(self, scope: Scope, headers: Headers) -> tuple[int, str] | None:
        host = headers.get("host", "")
        if not self._host_allowed(host):
            return 400, f"Host {escape_controls(host)!r} is not served here."
        if scope["method"] in _WRITES:
            origin = headers.get("origin")
            if origin is not None and not self._origin_allowed(origin, scope, host):
                return 403, (
                    f"Requests from origin {escape_controls(origin)!r} may not change anything "
                    "here ([api] allowed_origins)."
                )
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"").lower():
            return 400, "The request's path or query holds a NUL character."
        return None

    def _host_allowed(self, host: str) -> bool:
        allowed = self.settings.allowed_hosts
        if allowed is None:
            return True
        name = _host_name(host)
        return name in allowed or _is_ip_literal(name)

    def _origin_allowed(self, origin: str, scope: Scope, host: str) -> bool:
        origin = origin.rstrip("/").lower()
        if origin in self.settings.allowed_origins:
            return True
        scheme = scope.get("scheme", "http")
        return origin == f"{scheme}://{host}".lower()

    async def _read_body(
        self, scope: Scope, headers: Headers, receive: Receive
    ) -> tuple[tuple[int, str] | None, Receive]:
        limit = self.settings.max_body_size
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return (413, f"The request body is larger than {limit} bytes."), receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None, _replay(receive, b"", message)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return (413, f"The request body is larger than {limit} bytes."), receive
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body.strip():
            media = headers.get("content-type", "").split(";")[0].strip().lower().encode()
            accepted = (_JSON, _JSON_PATCH) if scope["method"] == "PATCH" else (_JSON,)
            if media not in accepted:
                return (
                    415,
                    f"Request bodies must be sent as {' or '.join(a.decode() for a in accepted)}"
                    f", not {media.decode() or 'no Content-Type'}.",
                ), receive
            if _NON_JSON_NUMBER.search(body) and _holds_non_json_number(body):
                return (400, "The request body holds NaN or Infinity, which JSON does not."), (
                    receive
                )
        return None, _replay(receive, body)


#: A quick look for what only a non-JSON number could be; the parse then decides.
_NON_JSON_NUMBER = re.compile(rb"NaN|Infinity")


def _holds_non_json_number(body: bytes) -> bool:
    found = False

    def refuse(_constant: str) -> float:
        nonlocal found
        found = True
        return 0.0

    try:
        json.loads(body, parse_constant=refuse)
    except ValueError:
        return False  # malformed JSON: the route's parser says so
    return found


def _replay(receive: Receive, body: bytes, first: Message | None = None) -> Receive:
    """``receive`` that first hands the route the body already read, then is the server's
    own (which tells of the client going away)."""
    sent = False

    async def replaying() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first or {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replaying


def _host_name(host: str) -> str:
    """The name of a Host header, without its port, lower-case (``[::1]:80`` → ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
