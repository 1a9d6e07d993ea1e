"""Which image a create or rebuild names, as the caller may use it.

On Mogan's own registry the image is a row, checked in the request's transaction (its
visibility is global). On Glance it is read before any transaction, with the caller's own
token, and checked for what a bare-metal deploy needs (``mogan.core.images.check_deployable``)
before anything is claimed; the facts read then travel with the operation.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from mogan.core.errors import InvalidInput, NotFound
from mogan.core.images import ImageCatalog, ImageFacts, check_deployable
from mogan.services.context import RequestContext


@dataclass(frozen=True)
class ImageLookup:
    """``catalog`` None: the builtin registry. ``disk_formats``: what the enabled drivers
    deploy between them (empty: any)."""

    catalog: ImageCatalog | None = None
    disk_formats: Collection[str] = field(default_factory=frozenset)

    @property
    def in_glance(self) -> bool:
        return self.catalog is not None

    def resolve(
        self, context: RequestContext, image_uuid: str, field_name: str = "image_uuid"
    ) -> ImageFacts | None:
        """The Glance image the caller names, checked (``InvalidInput`` naming the image's
        field that refuses it, ``ServiceUnavailable`` when Glance is down); None on the
        builtin registry, whose rows are checked in the transaction."""
        if self.catalog is None:
            return None
        try:
            image = self.catalog.show(context.auth_token, image_uuid)
        except NotFound:
            raise InvalidInput(
                f"Invalid value for field '{field_name}': image {image_uuid} was not found."
            ) from None
        check_deployable(image, self.disk_formats, field_name)
        return image
