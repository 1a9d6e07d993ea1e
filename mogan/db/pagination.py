"""Limit / marker / sort for every collection: one page of a query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, or_

from mogan.core.errors import InvalidInput
from mogan.core.pagination import Page, PageRequest
from mogan.db.database import Executor


def paginate(
    executor: Executor,
    query: Select[Any],
    columns: Any,
    request: PageRequest,
    *,
    sort_keys: Sequence[str],
    default_sort: str,
    max_limit: int,
    marker_visible: Select[Any] | None = None,
    order_columns: Any = None,
) -> Page[Any]:
    """Run ``query`` (selecting a table's columns, named in ``columns``) for one page of rows.

    Sorting is by ``sort_key`` then ``uuid`` so the order is total and a marker is exact.
    ``sort_keys`` are the non-null columns a caller may sort by. A marker must be a row of
    ``marker_visible`` (default: of ``query``). ``order_columns`` (default ``columns``) names
    the columns to order and compare by, where a joined table holds copies of them in an
    index of the page's order.
    """
    sort_key = request.sort_key or default_sort
    if sort_key not in sort_keys:
        raise InvalidInput(f"Invalid sort_key '{sort_key}'; choose from {', '.join(sort_keys)}.")
    if request.sort_dir not in ("asc", "desc"):
        raise InvalidInput("Invalid sort_dir; choose 'asc' or 'desc'.")
    limit = max_limit if request.limit is None else request.limit
    if limit < 1:
        raise InvalidInput("limit must be a positive integer.")
    limit = min(limit, max_limit)
    ordering = columns if order_columns is None else order_columns
    column = getattr(ordering, sort_key)
    tiebreak = ordering.uuid
    descending = request.sort_dir == "desc"
    if request.marker is not None:
        source = marker_visible if marker_visible is not None else query
        marker = executor.execute(source.where(columns.uuid == request.marker)).first()
        if marker is None:
            raise InvalidInput(f"Marker {request.marker} was not found.")
        value = getattr(marker, sort_key)
        if descending:
            query = query.where(or_(column < value, and_(column == value, tiebreak < marker.uuid)))
        else:
            query = query.where(or_(column > value, and_(column == value, tiebreak > marker.uuid)))
    order = (column.desc(), tiebreak.desc()) if descending else (column.asc(), tiebreak.asc())
    rows = list(executor.execute(query.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_marker=rows[-1].uuid if more and rows else None)
