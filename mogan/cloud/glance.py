"""Images from Glance (``[image] backend = glance``), read as Nova reads them.

What a tenant may use is Glance's to decide: every read made for a request carries the
caller's own token, so Glance applies its visibility (public, private, shared, community)
and its policy. Mogan's service credentials (the ``[glance]`` keystoneauth options) serve to
find Glance in the catalog and to download an image the caller was already allowed to use,
for a BMC that needs a copy (``mogan.cloud.image_cache``); that service user needs Glance's
``admin`` role to read private images, as Ironic's does.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, BinaryIO

from mogan.cloud.peer import ServicePeer, caller_token
from mogan.core.errors import DriverError
from mogan.core.images import GLANCE, ImageFacts

LOG = logging.getLogger(__name__)

GROUP = "glance"


class Glance(ServicePeer):
    """Glance's v2 API."""

    name = "Glance"
    group = GROUP

    # -- reads for a caller (ImageCatalog) ----------------------------------------------------

    def show(self, token: str | None, image_uuid: str) -> ImageFacts:
        token = caller_token(token, "Images")
        with self.answer(f"image {image_uuid}"):
            body = self.call("GET", f"/v2/images/{image_uuid}", token).json()
        return facts(body)

    def page(
        self, token: str | None, limit: int, marker: str | None
    ) -> tuple[list[ImageFacts], str | None]:
        token = caller_token(token, "Images")
        params: dict[str, Any] = {"limit": limit, "sort": "name:asc,id:asc"}
        if marker:
            params["marker"] = marker
        with self.answer("images"):
            body = self.call("GET", "/v2/images", token, params=params).json()
        found = [facts(image) for image in body.get("images", [])]
        return found, (found[-1].uuid if body.get("next") and found else None)

    # -- downloads with Mogan's own credentials -----------------------------------------------

    def download(self, image: ImageFacts, into: BinaryIO) -> int:
        """Write ``image``'s bytes into ``into``, checking them against its hash; the number
        of bytes written. ``DriverError`` when Glance fails or the bytes do not match."""
        digest = hashlib.new(image.hash_algo or "md5")
        expected = image.hash_value or image.checksum
        written = 0
        with self.answer(f"image {image.uuid}"):
            response = self.call("GET", f"/v2/images/{image.uuid}/file", None, stream=True)
            try:
                for chunk in response.iter_content(1 << 20):
                    digest.update(chunk)
                    into.write(chunk)
                    written += len(chunk)
            finally:
                response.close()
        if digest.hexdigest() != expected:
            raise DriverError(
                f"image {image.uuid} from Glance does not match its "
                f"{image.hash_algo or 'md5'} checksum: refused"
            )
        return written


def facts(body: dict[str, Any]) -> ImageFacts:
    """An image as Glance's v2 API shows it."""
    return ImageFacts(
        uuid=str(body["id"]),
        name=str(body.get("name") or ""),
        disk_format=str(body.get("disk_format") or ""),
        container_format=str(body.get("container_format") or ""),
        status=str(body.get("status") or ""),
        hash_algo=body.get("os_hash_algo"),
        hash_value=body.get("os_hash_value"),
        checksum=body.get("checksum"),
        size=body.get("size"),
        min_disk=int(body.get("min_disk") or 0),
        min_ram=int(body.get("min_ram") or 0),
        owner=body.get("owner"),
        visibility=body.get("visibility"),
        source=GLANCE,
        created_at=body.get("created_at"),
        updated_at=body.get("updated_at"),
    )
