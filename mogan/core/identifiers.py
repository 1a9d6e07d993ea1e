"""Identifiers as callers give them."""

from __future__ import annotations

import uuid as uuid_module


def canonical_uuid(value: str) -> str | None:
    """``value`` in canonical UUID form, or ``None`` when it is not a UUID."""
    try:
        return str(uuid_module.UUID(value))
    except ValueError:
        return None
