"""Who is calling: built by the API edge, passed to every service call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mogan.operations import Requester


@dataclass(frozen=True)
class RequestContext:
    project_id: str
    user_id: str
    roles: tuple[str, ...] = ()
    request_id: str = ""
    #: Extra policy credentials (e.g. a token's domain) for oslo.policy rules.
    extra: dict[str, Any] = field(default_factory=dict)
    #: The caller's Keystone token, for reading peers (Glance) as the caller; never shown in a
    #: repr, so never in a log line. None in noauth.
    auth_token: str | None = field(default=None, repr=False, compare=False)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def requester(self) -> Requester:
        """The request as the work it asks for records it."""
        return Requester(self.request_id, self.user_id or None)

    def policy_credentials(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "user_id": self.user_id,
            "roles": list(self.roles),
            "is_admin": self.is_admin,
            **self.extra,
        }
