"""The images' data."""

from __future__ import annotations

from mogan.db import models
from mogan.db.records import ImageRow
from mogan.db.table import Table

IMAGES: Table[ImageRow] = Table(models.IMAGES, ImageRow)
SORT_KEYS = ("name", "created_at", "uuid")
