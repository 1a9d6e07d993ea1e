"""RFC 6902 JSON Patch over the writable part of a resource."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import jsonpatch
import jsonpointer

from mogan.core.errors import InvalidInput

_OPS = {"add", "remove", "replace", "move", "copy", "test"}


def _replace_as_add(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    """``replace`` of a missing key inside a writable object adds it.

    The API's own sample (``instance-update-req.json``) replaces ``/extra/k1`` on an instance
    that has no ``k1`` and shows it added, as the original Mogan did; clients rely on it.
    """
    if operation["op"] != "replace" or operation["path"].count("/") < 2:
        return operation
    try:
        jsonpointer.resolve_pointer(document, operation["path"])
    except jsonpointer.JsonPointerException:
        return {**operation, "op": "add"}
    return operation


def apply_patch(document: dict[str, Any], patch: Any, writable: Iterable[str]) -> dict[str, Any]:
    """Apply ``patch`` to a copy of ``document`` and return it.

    ``writable`` are top-level paths (``/name``); a path may also reach inside one of them
    (``/extra/k1``). Any other path, a malformed patch, or one that fails (removing what is not
    there, a failed ``test``) raises ``InvalidInput``.
    """
    if not isinstance(patch, list) or not patch:
        raise InvalidInput("A JSON Patch must be a non-empty list of operations (RFC 6902).")
    allowed = tuple(writable)
    for index, operation in enumerate(patch):
        if not isinstance(operation, dict):
            raise InvalidInput(f"Patch operation {index} must be an object.")
        op = operation.get("op")
        if op not in _OPS:
            raise InvalidInput(
                f"Patch operation {index} has an invalid 'op' {op!r}; "
                f"expected one of {', '.join(sorted(_OPS))}."
            )
        for key in ("path", "from") if op in ("move", "copy") else ("path",):
            path = operation.get(key)
            if not isinstance(path, str):
                raise InvalidInput(f"Patch operation {index} needs a string '{key}'.")
            if op != "test" and not any(path == a or path.startswith(a + "/") for a in allowed):
                raise InvalidInput(
                    f"Path '{path}' cannot be changed; writable paths: {', '.join(allowed)}."
                )
        if op in ("add", "replace", "test") and "value" not in operation:
            raise InvalidInput(f"Patch operation {index} ('{op}') needs a 'value'.")
    patch = [_replace_as_add(document, operation) for operation in patch]
    try:
        return jsonpatch.apply_patch(copy.deepcopy(document), patch)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise InvalidInput(f"Patch test failed: {exc}") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise InvalidInput(f"Patch cannot be applied: {exc}") from None
