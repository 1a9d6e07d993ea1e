"""What every dashboard page shares: templates, the session guard, CSRF, redirects."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mogan.dashboard import words
from mogan.dashboard.backend import ApiError, Backend, Caller
from mogan.dashboard.session import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    Revocations,
    Session,
    Sessions,
    csrf_matches,
)
from mogan.dashboard.settings import DashboardSettings

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).with_name("templates"))),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["age"] = words.age
TEMPLATES.filters["addresses"] = words.addresses
TEMPLATES.globals["status_class"] = words.status_class
TEMPLATES.globals["node_state"] = words.node_state


class Dashboard:
    """The dashboard's parts, as its handlers see them (``request.app.state.dashboard``)."""

    def __init__(self, settings: DashboardSettings, backend: Backend) -> None:
        self.settings = settings
        self.backend = backend
        self.sessions = Sessions(
            settings.secret_key,
            settings.session_lifetime,
            Revocations(settings.revocations_path),
        )

    def url(self, path: str = "", **query: Any) -> str:
        shown = {k: v for k, v in query.items() if v not in (None, "")}
        return f"{self.settings.path}{path}" + (f"?{urlencode(shown)}" if shown else "")


def dashboard_of(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.dashboard
    return found


def render(
    request: Request,
    template: str,
    session: Session | None,
    *,
    status: int = 200,
    caller: Caller | None = None,
    **context: Any,
) -> HTMLResponse:
    board = dashboard_of(request)
    html = TEMPLATES.get_template(template).render(
        url=board.url,
        session=session,
        csrf_field=CSRF_FIELD,
        poll=board.settings.poll_interval,
        notice=request.query_params.get("notice"),
        **context,
    )
    headers = {"Cache-Control": "no-store"}
    if caller is not None:
        # What the page cost the API, and the id of its last call (quoted with any fault).
        headers["X-Mogan-API-Calls"] = str(caller.calls)
        if caller.last_request_id:
            headers["X-OpenStack-Request-Id"] = caller.last_request_id
    return HTMLResponse(html, status_code=status, headers=headers)


def redirect(request: Request, path: str, **query: Any) -> Response:
    """303 to a dashboard page; for htmx, the same by ``HX-Redirect``."""
    target = dashboard_of(request).url(path, **query)
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


Handler = Callable[[Request, Session, Caller], Awaitable[Response]]


def form_expired(request: Request, session: Session, what: str) -> Response:
    """403: a change (a ``what``) that did not carry the session's CSRF token."""
    return render(
        request,
        "error.html",
        session,
        status=403,
        title="Form expired",
        message=f"This {what} was not sent by this session (or it expired). Reload the page "
        "and try again.",
        request_id=None,
    )


#: What a page's path parameters may be: an instance is named by its uuid, a node by its
#: uuid or name, an action by a word.
_PARAMETERS = {
    "uuid": re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"),
    "ident": re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._~:-]{1,255}$"),
    "action": re.compile(r"^[a-z][a-z_-]{0,31}$"),
}


def _path_params_valid(params: dict[str, Any]) -> bool:
    return all(
        name not in _PARAMETERS or bool(_PARAMETERS[name].match(str(value)))
        for name, value in params.items()
    )


#: Sent with every dashboard response: scripts and styles from the dashboard only (no inline
#: script; htmx is told not to inject its own style), no framing by any page (clickjacking),
#: no guessing of content types, no full URLs to other sites in Referer.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response of the app it wraps."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self._headers]}
            await send(message)

        await self.app(scope, receive, with_headers)


def logged_in(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The page needs a session (else the login page), and a change needs its CSRF token
    (else 403). API refusals become a page that says what the API said."""

    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        board = dashboard_of(request)
        session = board.sessions.load(request.cookies.get(COOKIE))
        if not _path_params_valid(request.path_params):
            # A dot segment or a separator in a parameter would make the API call another
            # route than the page means.
            return render(
                request,
                "error.html",
                session,
                status=404,
                title=words.refusal_title(404),
                message=f"The page {request.url.path} does not exist.",
                request_id=None,
            )
        if session is None:
            return redirect(request, "/login", next=request.url.path)
        if request.method == "POST":
            form = await request.form()
            sent = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD) or "")
            if not csrf_matches(session, sent):
                return form_expired(request, session, "form")
        caller = board.backend.as_(session)
        try:
            return await handler(request, session, caller)
        except ApiError as exc:
            if exc.status == 401:
                return redirect(request, "/login", next=request.url.path)
            return render(
                request,
                "error.html",
                session,
                status=exc.status,
                caller=caller,
                title=words.refusal_title(exc.status),
                message=exc.message,
                request_id=exc.request_id,
            )

    return guarded
