"""Who asks for work: what an action records of the request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Requester:
    """The request that asked for an operation: its id (which the engine's log lines and
    notifications carry) and the user who sent it (None for work the engine starts itself)."""

    request_id: str
    user_id: str | None = None
