"""Every answer the tests receive is held to the OpenAPI document: its status must be one
the operation documents, and its JSON body must match the schema documented for it.

Schemathesis (``tests/api/test_openapi.py``) generates requests, but seldom reaches a stored
instance or node in an interesting state; the API tests make them in every state a user meets
(building, active, in error with a fault, locked, rebuilt, its node inspected, cleaned…), so
checking their answers proves the response schemas on real data. Installed as an httpx
response hook on the API tier's clients (``tests/api/conftest.py``).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import httpx
import jsonschema_rs

from mogan.cmd.docs import openapi_document


def client(base_url: str, **options: Any) -> httpx.Client:
    """An httpx client whose every answer is held to the document (``check``)."""
    return httpx.Client(base_url=base_url, event_hooks={"response": [check]}, **options)


class UndocumentedAnswer(AssertionError):
    """An answer the OpenAPI document does not describe."""


@functools.cache
def _document() -> dict[str, Any]:
    return openapi_document()


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Each documented path as a pattern, literal paths first (``/v1/nodes/sync`` before
    ``/v1/nodes/{node_ident}``)."""
    paths = sorted(_document()["paths"], key=lambda path: ("{" in path, path))
    return [
        (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)) + "$"), p) for p in paths
    ]


@functools.cache
def _validator(path: str, method: str, status: str) -> Any:
    """The validator of the JSON body documented for this answer; None when it has no body."""
    responses = _document()["paths"][path][method]["responses"]
    content = responses[status].get("content", {}).get("application/json")
    if content is None or not content.get("schema"):
        return None
    schema = {**content["schema"], "components": _document()["components"]}
    return jsonschema_rs.Draft202012Validator(schema)


def check(response: httpx.Response) -> None:
    """Raise ``UndocumentedAnswer`` unless the document describes ``response``."""
    request = response.request
    path = request.url.path
    if not path.startswith("/v1") and path != "/":
        path = "/v1" + path  # the unversioned spelling of the same route
    template = next((t for pattern, t in _templates() if pattern.match(path)), None)
    method = request.method.lower()
    if template is None or method not in _document()["paths"][template]:
        return  # the dashboard, the config drives, /openapi.json, or a 404/405 of no route
    responses = _document()["paths"][template][method]["responses"]
    status = str(response.status_code)
    if status not in responses:
        if response.status_code < 300:
            raise UndocumentedAnswer(f"{request.method} {template} answered {status}, undocumented")
        return  # refused before routing (the guard's 413/415, a 405): no operation answers it
    validator = _validator(template, method, status)
    if validator is None:
        return
    response.read()
    body = json.loads(response.content)
    errors = [
        f"{'/'.join(map(str, e.instance_path))}: {e.message[:300]}"
        for e in validator.iter_errors(body)
    ]
    if errors:
        raise UndocumentedAnswer(
            f"{request.method} {template} answered {status} with a body its schema refuses: "
            + "; ".join(errors[:5])
        )
