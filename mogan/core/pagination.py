"""A page of a collection: what a caller asks for, and what it gets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """``limit``, ``marker``, ``sort_key``, ``sort_dir`` as the API's query string has them."""

    limit: int | None = None
    marker: str | None = None
    sort_key: str | None = None
    sort_dir: str = "asc"


@dataclass
class Page(Generic[T]):
    items: list[T]
    #: The marker for the next page, when more items remain.
    next_marker: str | None
