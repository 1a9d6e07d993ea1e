"""Dashboard sessions: who is logged in, kept in an encrypted, signed cookie.

The cookie is a Fernet token (``cryptography``): AES-128-CBC with an HMAC-SHA256, timestamped,
so it can be neither read nor forged nor kept past ``session_lifetime``. It is HttpOnly and
SameSite=Strict (Secure over HTTPS). It holds the caller's identity, the Keystone token where
there is one (revoked at log-out, which makes any copy of the cookie useless), what the policy
lets them do, and the CSRF token every form must send back.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

COOKIE = "mogan_dashboard"
#: The form field and the header (htmx requests) that carry the CSRF token.
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass
class Session:
    project_id: str
    user_id: str
    roles: list[str]
    #: ``noauth`` or ``keystone``.
    auth: str
    #: The Keystone token the API calls are made with (keystone only).
    token: str | None = None
    #: Names to show, where Keystone gave them.
    user_name: str | None = None
    project_name: str | None = None
    #: The policy rules that allow the caller something in their project (``GET /v1/me``).
    allowed: list[str] = field(default_factory=list)
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def may(self, rule: str) -> bool:
        return rule in self.allowed

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class Sessions:
    """Turns sessions into cookie values and back."""

    def __init__(self, key: bytes, lifetime: int) -> None:
        self._fernet = Fernet(key)
        self.lifetime = lifetime

    def dump(self, session: Session) -> str:
        return self._fernet.encrypt(json.dumps(asdict(session)).encode()).decode()

    def load(self, value: str | None) -> Session | None:
        """The session in the cookie; None when there is none, or it is forged or expired."""
        if not value:
            return None
        try:
            data: dict[str, Any] = json.loads(self._fernet.decrypt(value, ttl=self.lifetime))
            return Session(**data)
        except (InvalidToken, ValueError, TypeError):
            return None


def csrf_matches(session: Session, sent: str | None) -> bool:
    return bool(sent) and secrets.compare_digest(session.csrf, sent or "")
