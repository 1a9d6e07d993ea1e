"""The one table from Mogan's errors to HTTP, and the OpenStack error body.

The body is ``{"error_message": "<JSON string>"}`` where the string holds ``faultcode``
(``Client`` for 4xx, ``Server`` for 5xx), ``faultstring`` and ``debuginfo`` (always null: a
client never sees a traceback).
"""

from __future__ import annotations

import json
import logging

from starlette.responses import Response

from mogan.core import errors

LOG = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[errors.MoganError], int]] = [
    (errors.InvalidInput, 400),
    (errors.NotAuthorized, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.ServiceUnavailable, 503),
    # A driver's peer (a BMC, Ironic) reached from a request: down is 503, a refusal 502.
    (errors.NodeUnreachable, 503),
    (errors.DriverError, 502),
]


def status_for(exc: errors.MoganError) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 500


def error_body(status: int, message: str) -> bytes:
    fault = {
        "faultcode": "Client" if status < 500 else "Server",
        "faultstring": message,
        "debuginfo": None,
    }
    return json.dumps({"error_message": json.dumps(fault)}).encode()


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        error_body(status, message),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def mogan_error_response(exc: errors.MoganError) -> Response:
    """The answer to a request that ended in ``exc``; a 5xx is logged, a 503 says when to retry."""
    status = status_for(exc)
    if status >= 500:
        LOG.error("%s: %s", type(exc).__name__, exc.message)
    return error_response(status, exc.message, {"Retry-After": "5"} if status == 503 else None)
