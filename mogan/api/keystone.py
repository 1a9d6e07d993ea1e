"""``auth_strategy = keystone``: keystonemiddleware's ``auth_token`` in front of the ASGI app.

``auth_token`` is WSGI middleware. Rather than re-implement it, each request's headers go
through the real ``AuthProtocol`` in a worker thread (it blocks on Keystone, with its token
cache), exactly as a WSGI service runs it: it strips any identity headers the client sent,
validates the token, and either calls through with ``X-Project-Id``, ``X-User-Id`` and
``X-Roles`` set from the token, or answers 401 (with ``WWW-Authenticate``) or 503 (Keystone
unreachable) itself. The identity it established is handed to the app in the ASGI scope, never
in headers a client could forge. Its refusals are re-rendered with the OpenStack error body.

``GET /`` and ``GET /v1`` (the version documents) stay open, as in every OpenStack service.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio.to_thread
from oslo_config import cfg
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from mogan.api.errors import error_body
from mogan.services.context import RequestContext

LOG = logging.getLogger(__name__)

#: Paths anyone may GET: the version discovery documents and the health check.
OPEN_PATHS = frozenset({"/", "/v1", "/v1/", "/healthcheck"})
_IDENTITY = "mogan.keystone_identity"


class KeystoneAuthMiddleware:
    def __init__(self, app: ASGIApp, conf: cfg.ConfigOpts) -> None:
        from keystonemiddleware import auth_token

        self._app = app
        self._protocol = auth_token.AuthProtocol(_accepted, {"oslo_config_config": conf})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            scope["method"] in ("GET", "HEAD") and scope["path"] in OPEN_PATHS
        ):
            await self._app(scope, receive, send)
            return
        environ = _environ(scope)
        # auth_token's refusals are WebOb pages rendered for the client's Accept header (HTML
        # for curl's "*/*"); asked for JSON, they carry a message we can quote as plain text.
        environ["HTTP_ACCEPT"] = "application/json"
        outcome: dict[str, Any] = {}
        try:
            body = await anyio.to_thread.run_sync(self._check, environ, outcome)
        except Exception as exc:  # auth_token lets some of keystoneauth's errors through
            LOG.error("Token validation failed: %s: %s", type(exc).__name__, exc)
            outcome = {"status": 503, "headers": [("Retry-After", "5")]}
            body = f"The identity service could not be used ({type(exc).__name__}).".encode()
        if _IDENTITY in environ:
            scope.setdefault("state", {})[_IDENTITY] = environ[_IDENTITY]
            await self._app(scope, receive, send)
            return
        await _refuse(send, outcome, body)

    def _check(self, environ: dict[str, Any], outcome: dict[str, Any]) -> bytes:
        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            outcome["status"] = int(status.split()[0])
            outcome["headers"] = headers

        return b"".join(self._protocol(environ, start_response))


def _accepted(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The inner WSGI app: reached only with a valid token; records who the token names."""
    roles = environ.get("HTTP_X_ROLES") or ""
    environ[_IDENTITY] = {
        "project_id": environ.get("HTTP_X_PROJECT_ID") or "",
        "user_id": environ.get("HTTP_X_USER_ID") or "",
        "roles": tuple(r.strip().lower() for r in roles.split(",") if r.strip()),
        "domain_id": environ.get("HTTP_X_PROJECT_DOMAIN_ID"),
        "system_scope": environ.get("HTTP_OPENSTACK_SYSTEM_SCOPE"),
    }
    start_response("204 No Content", [])
    return []


def _environ(scope: Scope) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "PATH_INFO": scope["path"],
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": (scope.get("server") or ("localhost", 80))[0],
        "SERVER_PORT": str((scope.get("server") or ("localhost", 80))[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "SCRIPT_NAME": "",
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": None,
        "wsgi.errors": None,
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_TYPE" or name == "CONTENT_LENGTH":
            environ[name] = value
        else:
            key = f"HTTP_{name}"
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


async def _refuse(send: Send, outcome: dict[str, Any], body: bytes) -> None:
    """auth_token's answer (401, 503…) with the OpenStack error body and its headers."""
    status = outcome.get("status", 500)
    message = _MESSAGES.get(status) or _message(body)
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1"))
        for k, v in outcome.get("headers", [])
        if k.lower() not in ("content-length", "content-type")
    ]
    payload = error_body(status, message or "The identity service could not be used.")
    headers += [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


#: What the usual refusals say: plain words a person can act on, whatever auth_token's page
#: said and whatever the client accepts.
_MESSAGES = {
    401: "Authentication required: send a valid Keystone token in X-Auth-Token.",
    503: "The identity service (Keystone) could not be reached to check the token; "
    "try again shortly.",
}


def _message(body: bytes) -> str:
    """The human part of auth_token's own JSON error, if that is what it sent; "" for
    anything else (an HTML page is never a message a person should read in a fault)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return ""
    error = parsed.get("error", {}) if isinstance(parsed, dict) else {}
    message = str(error.get("message") or error.get("title") or "").strip()
    return "" if "<" in message else message


def keystone_context(request: Request) -> RequestContext:
    """The caller as the token names them (set by ``KeystoneAuthMiddleware``)."""
    state = request.scope.get("state", {})
    identity = state[_IDENTITY]
    extra = {k: identity[k] for k in ("domain_id", "system_scope") if identity.get(k)}
    return RequestContext(
        identity["project_id"],
        identity["user_id"],
        identity["roles"],
        state.get("request_id", ""),
        extra=extra,
        auth_token=request.headers.get("x-auth-token"),
    )
