"""One exception root for the whole service.

::

    MoganError
    ├── InvalidInput          the caller's request is malformed or names unknown things (400)
    ├── NotAuthenticated      the request does not say who is calling (401)
    ├── NotAuthorized         the caller may not do this (403)
    │   └── QuotaExceeded     … because it would go beyond the project's quota (403)
    ├── NotFound              the thing does not exist, or the caller may not see it (404)
    ├── Conflict              the request clashes with the current state (409)
    ├── ServiceUnavailable    a dependency (the database) is down; try again (503)
    └── DriverError           hardware or its manager failed (never shown raw to a tenant)
        ├── NodeUnreachable   the BMC / Ironic could not be reached: worth retrying
        ├── UnsupportedAction the hardware cannot do what was asked: not worth retrying
        └── CleaningFailed    the deployment is gone, but the node is not fit for reuse

Foreign errors (SQLAlchemy, drivers' libraries) are translated where they enter; HTTP codes
exist only at the API edge (``mogan.api.errors``).
"""

from __future__ import annotations

from mogan.core import secrets


class MoganError(Exception):
    """Root of every error Mogan raises on purpose."""

    def __init__(self, message: str) -> None:
        # What a peer said is quoted into messages, which become faults, responses and log
        # lines: never with the credentials of a URL or a ``password=…`` in it.
        message = secrets.scrub(message)
        super().__init__(message)
        self.message = message


class InvalidInput(MoganError):
    """The request is malformed or refers to something that does not exist."""


class NotAuthenticated(MoganError):
    """The request names no caller (noauth: no ``X-Project-Id``, and no default caller)."""


class NotAuthorized(MoganError):
    """Policy forbids the caller this action."""


class QuotaExceeded(NotAuthorized):
    """The request would take the project beyond a quota (403, as Nova answers)."""


class NotFound(MoganError):
    """The resource does not exist or is not visible to the caller."""


class Conflict(MoganError):
    """The request is valid but the resource's current state does not allow it."""


class ServiceUnavailable(MoganError):
    """A dependency Mogan needs is unavailable; the request may be retried."""


class DriverError(MoganError):
    """A driver failed. ``retryable`` says whether trying again can help."""

    retryable = False

    def __init__(self, message: str, *, node: str | None = None) -> None:
        super().__init__(message)
        self.node = node


class NodeUnreachable(DriverError):
    """The node's management endpoint did not answer."""

    retryable = True


class UnsupportedAction(DriverError):
    """The hardware does not support the requested action."""


class CleaningFailed(DriverError):
    """A tear-down removed the instance's deployment but could not clean the node."""
