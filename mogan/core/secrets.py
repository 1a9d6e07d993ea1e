"""Which driver_info values are secrets, and how they are shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MASK = "******"
_SECRET_WORDS = ("password", "secret", "token")


def is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def mask(info: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``info`` with every secret value replaced by ``MASK`` (nested too)."""
    masked: dict[str, Any] = {}
    for key, value in info.items():
        if is_secret(key) and value not in (None, ""):
            masked[key] = MASK
        elif isinstance(value, Mapping):
            masked[key] = mask(value)
        else:
            masked[key] = value
    return masked


def keep_unchanged_secrets(new: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """After a PATCH of a masked document: a secret still reading ``MASK`` keeps its old value."""
    merged = dict(new)
    for key, value in new.items():
        if value == MASK and is_secret(key) and key in old:
            merged[key] = old[key]
    return merged
