"""What the dashboard is configured with (``[dashboard]``, and how callers are identified)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DashboardSettings:
    #: Where it is served, e.g. ``/dashboard``.
    path: str
    #: The Fernet key of its session cookies.
    secret_key: bytes
    #: ``noauth`` (a form choosing project, user and roles) or ``keystone``.
    auth_strategy: str = "noauth"
    session_lifetime: int = 28800
    #: Keystone's public URL, for ``keystone`` logins.
    keystone_url: str | None = None
    poll_interval: float = 2.0
    #: Cookies are Secure whatever the request's scheme (behind a TLS-terminating proxy).
    secure_cookies: bool = False
    #: Where logged-out sessions are remembered until they would have expired (noauth:
    #: there is no token to revoke); a file every dashboard process of this Mogan shares.
    revocations_path: str | None = None
