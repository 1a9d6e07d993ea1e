"""The OpenAPI document, completed with what FastAPI cannot infer from the models.

Every string Mogan accepts (in a request body, a path or a query) refuses the NUL character, on both
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
            components = document.get("components", {}).get("schemas", {})
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    for parameter in operation.get("parameters", []):
                        _refuse_nul(parameter.get("schema", {}))
                    for name in _accepted(operation.get("requestBody", {}), components):
                        _refuse_nul(components[name])
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _accepted(schema: Any, components: dict[str, Any], seen: set[str] | None = None) -> set[str]:
    """The names of the components ``schema`` refers to, directly or through others: what a
    request body may hold. (Response bodies are Mogan's to write: what it answers is
    checked against them as they are.)"""
    seen = set() if seen is None else seen
    if isinstance(schema, list):
        for item in schema:
            _accepted(item, components, seen)
    elif isinstance(schema, dict):
        reference = schema.get("$ref", "")
        name = reference.rpartition("/")[2]
        if reference.startswith("#/components/schemas/") and name not in seen:
            seen.add(name)
            _accepted(components[name], components, seen)
        for value in schema.values():
            _accepted(value, components, seen)
    return seen


def without_nul(pattern: str | None) -> str:
    """A pattern matching what ``pattern`` matches, less the strings holding NUL.

    Rewritten rather than combined (``allOf`` of two patterns), as generators such as
    schemathesis' draw from one pattern far better than they filter by a second: a ``.``
    becomes ``[^\\u0000]``, negated classes and escapes (``[^…]``, ``\\S``) leave NUL out
    too, and an unanchored pattern is anchored around NUL-free ends.
    """
    if pattern is None or pattern == NO_NUL:
        return NO_NUL
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escape = pattern[index : index + 2]
            if not in_class and escape in _NEGATED_ESCAPES:
                out.append(_NEGATED_ESCAPES[escape])
            else:
                out.append(escape)
            index += 2
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            if pattern[index + 1 : index + 2] == "^":
                out.append("[^\\u0000")
                index += 1
            else:
                out.append("[")
        elif char == ".":
            out.append("[^\\u0000]")
        else:
            out.append(char)
        index += 1
    body = "".join(out)
    if body.startswith("^") and body.endswith("$"):
        return body
    return f"^[^\\u0000]*(?:{body})[^\\u0000]*$"


#: Escapes that match NUL, as classes that do not.
_NEGATED_ESCAPES = {
    "\\S": "[^\\s\\u0000]",
    "\\W": "[^\\w\\u0000]",
    "\\D": "[^\\d\\u0000]",
}


def _refuse_nul(schema: Any) -> None:
    """Make every string schema inside ``schema`` refuse NUL (see ``without_nul``)."""
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
        schema["pattern"] = without_nul(schema.get("pattern"))
