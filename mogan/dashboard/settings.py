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
