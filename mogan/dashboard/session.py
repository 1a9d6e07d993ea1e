"""Dashboard sessions: who is logged in, kept in an encrypted, signed cookie.

The cookie is a Fernet token (``cryptography``): AES-128-CBC with an HMAC-SHA256, timestamped,
so it can be neither read nor forged nor kept past ``session_lifetime``. It is HttpOnly and
SameSite=Strict (Secure over HTTPS). It holds the caller's identity, the Keystone token where
there is one (revoked at log-out, which makes any copy of the cookie useless), what the policy
lets them do, and the CSRF token every form must send back. A noauth session has no token to
revoke: its id is written to a revocation list at log-out (``Revocations``), which every
process reads, so a copy of its cookie stops working too.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

COOKIE = "mogan_dashboard"
#: The pre-session cookie whose token the login form must send back (login CSRF).
LOGIN_COOKIE = "mogan_dashboard_login"
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
    #: This login's id, which a log-out revokes.
    sid: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def may(self, rule: str) -> bool:
        return rule in self.allowed

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class Sessions:
    """Turns sessions into cookie values and back."""

    def __init__(self, key: bytes, lifetime: int, revocations: Revocations | None = None) -> None:
        self._fernet = Fernet(key)
        self.lifetime = lifetime
        self.revocations = revocations or Revocations(None)

    def dump(self, session: Session) -> str:
        return self._fernet.encrypt(json.dumps(asdict(session)).encode()).decode()

    def load(self, value: str | None) -> Session | None:
        """The session in the cookie; None when there is none, or it is forged or expired."""
        if not value:
            return None
        try:
            data: dict[str, Any] = json.loads(self._fernet.decrypt(value, ttl=self.lifetime))
            session = Session(**data)
        except (InvalidToken, ValueError, TypeError):
            return None
        return None if self.revocations.is_revoked(session.sid) else session

    def revoke(self, session: Session) -> None:
        """Log ``session`` out everywhere, until it would have expired anyway."""
        self.revocations.revoke(session.sid, time.time() + self.lifetime)


def csrf_matches(session: Session, sent: str | None) -> bool:
    return tokens_match(session.csrf, sent)


def tokens_match(expected: str | None, sent: str | None) -> bool:
    """In constant time, as bytes (``compare_digest`` refuses non-ASCII ``str``)."""
    if not expected or not sent:
        return False
    return secrets.compare_digest(expected.encode(), sent.encode())


class Revocations:
    """Session ids logged out before they expired, in a file every process shares (one line
    each: id, then when it would have expired). Read again whenever the file changed; pruned
    of expired ids on every write. Without a path, nothing is remembered."""

    def __init__(self, path: str | None) -> None:
        self._path = path
        self._seen: tuple[float, int] | None = None
        self._revoked: dict[str, float] = {}

    def revoke(self, sid: str, until: float) -> None:
        if self._path is None:
            return
        os.makedirs(os.path.dirname(os.path.abspath(self._path)), exist_ok=True)
        descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            now = time.time()
            kept = {k: v for k, v in _parse(handle.read()).items() if v > now}
            kept[sid] = until
            handle.seek(0)
            handle.truncate()
            handle.write("".join(f"{k} {v:.0f}\n" for k, v in kept.items()))

    def is_revoked(self, sid: str) -> bool:
        if self._path is None:
            return False
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            return False
        if self._seen != (stat.st_mtime, stat.st_size):
            with open(self._path) as handle:
                self._revoked = _parse(handle.read())
            self._seen = (stat.st_mtime, stat.st_size)
        return sid in self._revoked


def _parse(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in text.splitlines():
        sid, _, until = line.partition(" ")
        try:
            found[sid] = float(until)
        except ValueError:
            continue
    return found
