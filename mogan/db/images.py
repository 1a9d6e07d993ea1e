"""The images' data."""

from __future__ import annotations

from mogan.db.models import Image
from mogan.db.records import ImageRow
from mogan.db.table import Table

IMAGES: Table[ImageRow] = Table(Image, ImageRow)
SORT_KEYS = ("name", "created_at", "uuid")
