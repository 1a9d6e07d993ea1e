"""What Mogan knows of an image it deploys, whichever registry holds it (its own, or Glance).

A create or rebuild on Glance reads the image with the caller's own token, checks it
(``check_deployable``) and keeps these facts in the operation's state: the engine then deploys
what the caller was allowed to see, even after their token has expired.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from mogan.core.errors import InvalidInput

#: The registries ``[image] backend`` may name.
BUILTIN = "builtin"
GLANCE = "glance"

#: Container formats a bare-metal deploy writes as they are (Ironic's and Nova's: ``bare``).
CONTAINER_FORMATS = frozenset({"bare"})


@dataclass(frozen=True)
class ImageFacts:
    """An image as a deploy needs it. ``url`` is where a builtin image lives; a Glance
    image has none of its own (the driver learns one: Ironic reads Glance itself, a BMC is
    given Mogan's cached copy)."""

    uuid: str
    name: str
    disk_format: str
    container_format: str = "bare"
    status: str = "active"
    #: ``os_hash_algo``/``os_hash_value`` (Glance's multihash), else the legacy md5.
    hash_algo: str | None = None
    hash_value: str | None = None
    checksum: str | None = None
    size: int | None = None
    #: GiB of disk and MiB of memory the image needs (Glance's ``min_disk``, ``min_ram``).
    min_disk: int = 0
    min_ram: int = 0
    owner: str | None = None
    visibility: str | None = None
    url: str | None = None
    source: str = BUILTIN
    #: As Glance shows them (ISO 8601).
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, object] | None) -> ImageFacts | None:
        if not data:
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)  # type: ignore[arg-type]


class ImageCatalog(Protocol):
    """Glance, as the use cases read it: always with the caller's own token (a read without
    one is ``NotAuthenticated``: Glance's backend needs ``auth_strategy = keystone``)."""

    def show(self, token: str | None, image_uuid: str) -> ImageFacts:
        """The image, or ``NotFound`` when it does not exist or is not the caller's to see."""
        ...

    def page(
        self, token: str | None, limit: int, marker: str | None
    ) -> tuple[list[ImageFacts], str | None]:
        """A page of the images the caller may use, and the marker of the next one."""
        ...


def check_deployable(image: ImageFacts, disk_formats: Collection[str], field: str) -> None:
    """``InvalidInput`` naming the image's field that makes it undeployable here: not
    ``active``, a container other than ``bare``, a disk format no enabled driver deploys, or
    no checksum to verify what is written."""
    prefix = f"Invalid value for field '{field}': image {image.uuid}"
    if image.status != "active":
        raise InvalidInput(f"{prefix} is {image.status}, not active (status).")
    if image.container_format not in CONTAINER_FORMATS:
        raise InvalidInput(
            f"{prefix} has container_format {image.container_format!r}; bare metal deploys "
            f"{', '.join(sorted(CONTAINER_FORMATS))} (container_format)."
        )
    if disk_formats and image.disk_format not in disk_formats:
        raise InvalidInput(
            f"{prefix} has disk_format {image.disk_format!r}, which no enabled driver deploys "
            f"(they deploy {', '.join(sorted(disk_formats))}) (disk_format)."
        )
    if not (image.hash_value or image.checksum):
        raise InvalidInput(
            f"{prefix} has neither os_hash_value nor checksum: what is written to a disk "
            "could not be verified (os_hash_value)."
        )
