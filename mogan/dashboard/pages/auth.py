"""Logging in and out.

``noauth``: a form choosing project, user and roles (clearly marked: the API trusts what it is
told). ``keystone``: username, password, project and domains; keystoneauth gets a token from
Keystone, which the session keeps (encrypted) and log-out revokes.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mogan.dashboard.backend import ApiError
from mogan.dashboard.session import (
    COOKIE,
    CSRF_FIELD,
    LOGIN_COOKIE,
    Session,
    csrf_matches,
    tokens_match,
)
from mogan.dashboard.web import dashboard_of, form_expired, redirect, render
from mogan.wire import bodies

LOG = logging.getLogger(__name__)
_ROLES = ("reader", "member", "admin")


def _next(request: Request, value: str | None) -> str:
    """Where to go after logging in: a page of the dashboard, never elsewhere."""
    prefix = dashboard_of(request).settings.path
    if value and value.startswith(prefix + "/") and "//" not in value and "\\" not in value:
        return value[len(prefix) :]
    return "/instances"


async def login_page(request: Request) -> Response:
    return _login_form(request, next_page=request.query_params.get("next", ""))


def _login_form(
    request: Request,
    *,
    next_page: str,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """The login form, with a fresh pre-session token in a cookie and in the form: a login
    POST must carry both (a page on another site can send the form, never the cookie, which
    is SameSite=Strict), so no one can log a browser into a session of their choosing."""
    board = dashboard_of(request)
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        None,
        status=status,
        keystone=board.settings.auth_strategy == "keystone",
        roles=_ROLES,
        next=next_page,
        error=error,
        form=form or {},
        login_csrf=token,
    )
    _set_cookie(request, response, token, name=LOGIN_COOKIE, max_age=3600)
    return response


async def login(request: Request) -> Response:
    board = dashboard_of(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    keystone = board.settings.auth_strategy == "keystone"
    if not tokens_match(request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD)):
        return _login_form(
            request,
            next_page=form.get("next", ""),
            status=403,
            error="This login form was not sent from this browser's login page (or it "
            "expired); log in again.",
        )
    try:
        session = await (_keystone(request, form) if keystone else _noauth(request, form))
    except _Refused as exc:
        return _login_form(
            request,
            next_page=form.get("next", ""),
            status=401 if keystone else 400,
            error=str(exc),
            form={k: v for k, v in form.items() if k not in ("password", CSRF_FIELD)},
        )
    response = redirect(request, _next(request, form.get("next")))
    _set_cookie(request, response, board.sessions.dump(session))
    response.delete_cookie(LOGIN_COOKIE, path=board.settings.path)
    return response


async def logout(request: Request) -> Response:
    """Log out the session whose CSRF token the form carries (another site's page cannot
    log anyone out): its Keystone token is revoked, or, in noauth, its id is."""
    board = dashboard_of(request)
    session = board.sessions.load(request.cookies.get(COOKIE))
    form = await request.form()
    if session is None:
        return redirect(request, "/login")
    if not csrf_matches(session, str(form.get(CSRF_FIELD) or "")):
        return form_expired(request, session, "log-out")
    if session.token and board.settings.keystone_url:
        await asyncio.to_thread(_revoke, board.settings.keystone_url, session.token)
    await asyncio.to_thread(board.sessions.revoke, session)
    response = redirect(request, "/login", notice="You are logged out.")
    response.delete_cookie(COOKIE, path=board.settings.path)
    return response


class _Refused(Exception):
    """The login is refused, for the reason given."""


async def _noauth(request: Request, form: dict[str, str]) -> Session:
    project, user = form.get("project_id", "").strip(), form.get("user_id", "").strip()
    roles = [role for role in _ROLES if form.get(f"role_{role}")]
    if not project or not user:
        raise _Refused("A project and a user are needed.")
    if not roles:
        raise _Refused("Choose at least one role.")
    headers = {"X-Project-Id": project, "X-User-Id": user, "X-Roles": ",".join(roles)}
    me = await _me(request, headers)
    return Session(project, user, roles, "noauth", allowed=_allowed(me))


async def _keystone(request: Request, form: dict[str, str]) -> Session:
    url = dashboard_of(request).settings.keystone_url
    if not url:
        raise _Refused("The dashboard does not know Keystone's address ([dashboard] keystone_url).")
    needed = ("username", "password", "project_name")
    if not all(form.get(name) for name in needed):
        raise _Refused("A username, a password and a project are needed.")
    # keystoneauth only where it is used: a noauth process never loads it.
    from keystoneauth1 import exceptions as ks_exceptions

    try:
        access = await asyncio.to_thread(_authenticate, url, form)
    except ks_exceptions.Unauthorized:
        raise _Refused("Keystone did not accept these credentials.") from None
    except ks_exceptions.ClientException as exc:
        LOG.warning("Dashboard login: Keystone failed: %s", type(exc).__name__)
        raise _Refused("Keystone could not be reached; try again later.") from None
    token: str = access.auth_token
    me = await _me(request, {"X-Auth-Token": token})
    return Session(
        access.project_id,
        access.user_id,
        [role.lower() for role in access.role_names],
        "keystone",
        token=token,
        user_name=access.username,
        project_name=access.project_name,
        allowed=_allowed(me),
    )


def _authenticate(url: str, form: dict[str, str]) -> Any:
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3

    auth = v3.Password(
        auth_url=_v3(url),
        username=form["username"],
        password=form["password"],
        project_name=form["project_name"],
        user_domain_name=form.get("user_domain_name") or "Default",
        project_domain_name=form.get("project_domain_name") or "Default",
    )
    return auth.get_access(ks_session.Session(auth=auth))


def _revoke(url: str, token: str) -> None:
    from keystoneauth1 import exceptions as ks_exceptions
    from keystoneauth1 import session as ks_session

    try:
        ks_session.Session().delete(
            f"{_v3(url)}/auth/tokens",
            headers={"X-Auth-Token": token, "X-Subject-Token": token},
        )
    except ks_exceptions.ClientException as exc:  # already expired or revoked: logged out
        LOG.info("Dashboard log-out: the token was not revoked: %s", type(exc).__name__)


def _v3(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith("/v3") else f"{base}/v3"


async def _me(request: Request, headers: dict[str, str]) -> bodies.Caller:
    try:
        return await dashboard_of(request).backend.anonymous(headers).read(bodies.Caller, "/v1/me")
    except ApiError as exc:
        raise _Refused(f"Mogan refused this identity: {exc.message}") from None


def _allowed(me: bodies.Caller) -> list[str]:
    return sorted(rule for rule, yes in me.allowed.items() if yes)


def _set_cookie(
    request: Request,
    response: Response,
    value: str,
    *,
    name: str = COOKIE,
    max_age: int | None = None,
) -> None:
    board = dashboard_of(request)
    response.set_cookie(
        name,
        value,
        max_age=max_age or board.settings.session_lifetime,
        path=board.settings.path,
        httponly=True,
        samesite="strict",
        secure=board.settings.secure_cookies or request.url.scheme == "https",
    )
