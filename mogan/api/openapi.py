"""The OpenAPI document, completed with what FastAPI cannot infer from the models.

Every string Mogan accepts (in a body, a path or a query) refuses the NUL character, on both
databases alike (PostgreSQL cannot store one): the document says so with a ``pattern`` on each
string schema, so that a client or test generator built from it never sends one expecting
success.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

#: A string without NUL.
NO_NUL = "^[^\\u0000]*$"
#: Formats whose own definition already leaves NUL out.
_SELF_EVIDENT = {"uuid", "date-time", "ipv4", "ipv6", "binary"}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed document (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _refuse_nul(document.get("components", {}).get("schemas", {}))
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    for parameter in operation.get("parameters", []):
                        _refuse_nul(parameter.get("schema", {}))
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _refuse_nul(schema: Any) -> None:
    """Add ``NO_NUL`` to every string schema inside ``schema`` (a pattern it has already is
    kept, both then apply)."""
    if isinstance(schema, list):
        for item in schema:
            _refuse_nul(item)
        return
    if not isinstance(schema, dict):
        return
    for value in schema.values():
        _refuse_nul(value)
    if (
        schema.get("type") == "string"
        and "enum" not in schema
        and "const" not in schema
        and schema.get("format") not in _SELF_EVIDENT
    ):
        if "pattern" not in schema:
            schema["pattern"] = NO_NUL
        elif schema["pattern"] != NO_NUL:
            schema.setdefault("allOf", []).append({"pattern": NO_NUL})
