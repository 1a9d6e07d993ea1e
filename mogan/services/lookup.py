"""Finding a row by the UUID a caller gave, with the 404 a caller expects."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from mogan.core.errors import NotFound
from mogan.core.identifiers import canonical_uuid

T = TypeVar("T")


def get_or_404(session: Session, model: type[T], ident: str, label: str, **options: Any) -> T:
    key = canonical_uuid(ident)
    row = session.get(model, key, **options) if key else None
    if row is None:
        raise NotFound(f"{label} {ident} could not be found.")
    return row
