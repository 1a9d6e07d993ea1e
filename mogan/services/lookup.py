"""Finding a row by the UUID a caller gave, with the 404 a caller expects."""

from __future__ import annotations

import uuid as uuid_module
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from mogan.core.errors import NotFound

T = TypeVar("T")


def canonical_uuid(value: str) -> str | None:
    """``value`` in canonical UUID form, or ``None`` when it is not a UUID."""
    try:
        return str(uuid_module.UUID(value))
    except ValueError:
        return None


def get_or_404(session: Session, model: type[T], ident: str, label: str, **options: Any) -> T:
    key = canonical_uuid(ident)
    row = session.get(model, key, **options) if key else None
    if row is None:
        raise NotFound(f"{label} {ident} could not be found.")
    return row
