"""The one table from Mogan's errors to HTTP, and the OpenStack error body.

The body is ``{"error_message": "<JSON string>"}`` where the string holds ``faultcode``
(``Client`` for 4xx, ``Server`` for 5xx), ``faultstring`` and ``debuginfo`` (always null: a
client never sees a traceback).
"""

from __future__ import annotations

import json
import logging

from pydantic import BaseModel, Field
from starlette.responses import Response

from mogan.core import errors, hosts

LOG = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[errors.MoganError], int]] = [
    (errors.InvalidInput, 400),
    (errors.NotAuthenticated, 401),
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
    message = hosts.for_operator(exc.message)
    if status >= 500:
        LOG.error("%s: %s", type(exc).__name__, message)
    return error_response(status, message, {"Retry-After": "5"} if status == 503 else None)


class ErrorBody(BaseModel):
    """Every error's body, as OpenStack services answer."""

    error_message: str = Field(
        description='A JSON document: {"faultcode": "Client" | "Server", "faultstring": '
        '"what went wrong, for a person", "debuginfo": null}'
    )


_MEANINGS = {
    400: "The request is malformed or names something that does not exist.",
    401: "No valid token (auth_strategy = keystone), or no X-Project-Id (noauth).",
    403: "Policy does not allow the caller this.",
    404: "Not found, or not the caller's to see.",
    409: "The resource's state or another resource conflicts with the request.",
    502: "The node's BMC or Ironic refused.",
    503: "The database, Keystone, a BMC or Ironic cannot be reached now; retry later.",
}


def documented(*codes: int) -> dict[int | str, dict[str, object]]:
    """The OpenAPI ``responses`` of a route: the errors it answers with, each with the
    OpenStack body, and any other (an unexpected 500) with the same body."""
    responses: dict[int | str, dict[str, object]] = {
        code: {"model": ErrorBody, "description": _MEANINGS[code]} for code in codes
    }
    responses["default"] = {"model": ErrorBody, "description": "Any other error."}
    return responses


#: What routes answer besides success, by the kind of route.
COLLECTION_ERRORS = documented(400, 401, 403, 503)
ONE_ERRORS = documented(400, 401, 403, 404, 503)
CREATE_ERRORS = documented(400, 401, 403, 409, 503)
CHANGE_ERRORS = documented(400, 401, 403, 404, 409, 503)
