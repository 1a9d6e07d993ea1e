"""Images: what an instance is deployed from (built in; a Glance backend can follow)."""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from sqlalchemy import select

from mogan.core.pagination import PageRequest
from mogan.db.database import Database
from mogan.db.models import Image
from mogan.db.pagination import paginate
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.lookup import get_or_404
from mogan.services.patching import apply_patch
from mogan.services.policy import Policy

SORT_KEYS = ("name", "created_at", "uuid")


class ImageService:
    def __init__(self, db: Database, policy: Policy, max_limit: int) -> None:
        self._db = db
        self._policy = policy
        self._max_limit = max_limit

    def list(self, context: RequestContext, page: PageRequest) -> tuple[list[Image], str | None]:
        self._policy.authorize("mogan:image:get", context)
        with self._db.read() as session:
            result = paginate(
                session,
                select(Image),
                Image,
                page,
                sort_keys=SORT_KEYS,
                default_sort="name",
                max_limit=self._max_limit,
            )
        return result.items, result.next_marker

    def get(self, context: RequestContext, ident: str) -> Image:
        self._policy.authorize("mogan:image:get", context)
        with self._db.read() as session:
            return get_or_404(session, Image, ident, "Image")

    def create(self, context: RequestContext, request: schemas.ImageCreate) -> Image:
        self._policy.authorize("mogan:image:write", context)
        image = Image(uuid=str(uuid_module.uuid4()), **request.model_dump())
        with self._db.write() as session:
            session.add(image)
        return image

    def update(self, context: RequestContext, ident: str, patch: Any) -> Image:
        self._policy.authorize("mogan:image:write", context)
        with self._db.write() as session:
            image = get_or_404(session, Image, ident, "Image")
            document = {k: getattr(image, k) for k in ("name", "url", "checksum", "disk_format")}
            patched = schemas.parse(
                schemas.ImageUpdate,
                apply_patch(document, patch, ("/name", "/url", "/checksum", "/disk_format")),
                what="patched image",
            )
            for key, value in patched.model_dump().items():
                setattr(image, key, value)
        return image

    def delete(self, context: RequestContext, ident: str) -> None:
        self._policy.authorize("mogan:image:write", context)
        with self._db.write() as session:
            session.delete(get_or_404(session, Image, ident, "Image"))
