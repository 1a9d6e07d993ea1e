"""Outermost ASGI middleware: a request id on every response and log line, and a last-resort
OpenStack error body so no response is ever a bare traceback or a plain-text 500."""

from __future__ import annotations

import logging
import time
import uuid as uuid_module
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mogan.api.errors import error_body
from mogan.core.logcontext import request_id_var

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
                scope["method"],
                scope["path"]
                + (("?" + scope["query_string"].decode()) if scope.get("query_string") else ""),
                status_holder["status"],
                (time.perf_counter() - started) * 1000,
            )


#: Content types a client may send JSON under: JSON's own, JSON Patch's, and the ones curl
#: and form libraries send by default, which then mean JSON too.
_READ_AS_JSON = (b"", b"application/x-www-form-urlencoded", b"text/plain")


class JsonBodies:
    """A request body is read as JSON whatever its Content-Type says (``application/json``
    and ``application/json-patch+json`` are the documented ones): ``curl -d '{…}'``'s default
    form type should not turn a well-formed request into an error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            given = dict(scope["headers"]).get(b"content-type", b"")
            if given.split(b";")[0].strip().lower() in _READ_AS_JSON:
                scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
        await self.app(scope, receive, send)
