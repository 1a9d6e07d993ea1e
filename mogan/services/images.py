"""Images: what an instance is deployed from: Mogan's own registry, written by operators, or
Glance's images (``[image] backend = glance``), which tenants manage in Glance and Mogan reads
with each caller's own token."""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from mogan.core.clock import utcnow
from mogan.core.errors import Conflict
from mogan.core.images import ImageCatalog, ImageFacts
from mogan.core.pagination import PageRequest
from mogan.db.database import Database, Executor
from mogan.db.images import IMAGES, SORT_KEYS
from mogan.db.records import ImageRow
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.patching import apply_patch
from mogan.services.policy import Policy

_WRITABLE_PATHS = schemas.IMAGE_FIELDS


class ImageService:
    def __init__(
        self, db: Database, policy: Policy, max_limit: int, glance: ImageCatalog | None = None
    ) -> None:
        self._db = db
        self._policy = policy
        self._max_limit = max_limit
        self._glance = glance

    def list(
        self, context: RequestContext, page: PageRequest
    ) -> tuple[list[ImageRow] | list[ImageFacts], str | None]:
        """A page of the images the caller may deploy (on Glance: what Glance lets the
        caller see, paged by Glance)."""
        self._policy.authorize("mogan:image:get", context)
        if self._glance is not None:
            limit = min(page.limit or self._max_limit, self._max_limit)
            return self._glance.page(context.auth_token, limit, page.marker)
        found = IMAGES.page(
            self._db, page, sort_keys=SORT_KEYS, default_sort="name", max_limit=self._max_limit
        )
        return found.items, found.next_marker

    def get(self, context: RequestContext, ident: str) -> ImageRow | ImageFacts:
        self._policy.authorize("mogan:image:get", context)
        if self._glance is not None:
            return self._glance.show(context.auth_token, ident)
        return self._find(ident)

    def create(self, context: RequestContext, request: schemas.ImageCreate) -> ImageRow:
        self._policy.authorize("mogan:image:write", context)
        self._writable()
        image = ImageRow(
            uuid=str(uuid_module.uuid4()),
            created_at=utcnow(),
            updated_at=None,
            **request.model_dump(),
        )
        with self._db.transaction() as tx:
            IMAGES.add(tx, image)
        return image

    def update(self, context: RequestContext, ident: str, patch: Any) -> ImageRow:
        self._policy.authorize("mogan:image:write", context)
        self._writable()
        with self._db.transaction() as tx:
            image = self._find(ident, tx)
            document = {path[1:]: getattr(image, path[1:]) for path in _WRITABLE_PATHS}
            patched = schemas.parse(
                schemas.ImageUpdate,
                apply_patch(document, patch, _WRITABLE_PATHS),
                what="patched image",
            )
            changes = {**patched.model_dump(), "updated_at": utcnow()}
            IMAGES.update(tx, image.uuid, **changes)
        return image._replace(**changes)

    def delete(self, context: RequestContext, ident: str) -> None:
        self._policy.authorize("mogan:image:write", context)
        self._writable()
        with self._db.transaction() as tx:
            IMAGES.delete(tx, self._find(ident, tx).uuid)

    def _writable(self) -> None:
        if self._glance is not None:
            raise Conflict(
                "Images are Glance's here ([image] backend = glance): upload, change and "
                "delete them in Glance."
            )

    def _find(self, ident: str, tx: Executor | None = None) -> ImageRow:
        return IMAGES.find(self._db, ident, "Image", locked_in=tx)
