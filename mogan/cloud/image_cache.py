"""Copies of Glance images for BMCs that boot from a URL (the redfish driver's virtual media).

A BMC cannot present a Keystone token, so Mogan downloads the image once, with its service
credentials, after the tenant's own token has shown the tenant may use it; checks it against
Glance's hash on the way in (a copy that does not match is never served); and serves it
from ``[image] cache_dir`` under ``[image] cache_url`` (a web server of the operator's, as
for config drives). Copies are named after the image and its hash, so a re-uploaded image
never reuses a stale copy. The directory is kept under ``cache_max_gb`` by removing the
least recently used copies of images no instance uses any more: a virtual-media boot reads
its image again at every reboot, so a copy in use stays.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Collection
from pathlib import Path

from mogan.cloud.glance import Glance
from mogan.core.errors import DriverError
from mogan.core.images import ImageFacts

LOG = logging.getLogger(__name__)


class ImageCache:
    """``in_use()`` names the images instances still run (their copies are kept)."""

    def __init__(
        self,
        glance: Glance,
        directory: str,
        url: str,
        max_bytes: int,
        in_use: Callable[[], Collection[str]],
    ) -> None:
        self._glance = glance
        self._directory = Path(directory)
        self._url = url.rstrip("/")
        self._max_bytes = max_bytes
        self._in_use = in_use

    def url_for(self, image: ImageFacts) -> str:
        """The URL of a verified copy of ``image``, downloaded on first use. Concurrent
        engines (processes or threads) download it once: the copy is written under a lock
        and renamed into place complete."""
        digest = (image.hash_value or image.checksum or "unverified")[:16]
        name = f"{image.uuid}-{digest}.{image.disk_format or 'img'}"
        path = self._directory / name
        self._directory.mkdir(parents=True, exist_ok=True)
        with open(self._directory / f".{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                self._download(image, path)
            os.utime(path)  # the least recently used go first
        self._prune(keep=name)
        return f"{self._url}/{name}"

    def _download(self, image: ImageFacts, path: Path) -> None:
        partial = path.with_name(path.name + ".part")
        try:
            with open(partial, "wb") as handle:
                size = self._glance.download(image, handle)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if image.size is not None and size != image.size:
            partial.unlink(missing_ok=True)
            raise DriverError(
                f"image {image.uuid} from Glance is {size} bytes, not the {image.size} "
                "Glance records: refused"
            )
        os.replace(partial, path)
        LOG.info("Image %s cached for BMCs (%d bytes, hash verified)", image.uuid, size)

    def _prune(self, keep: str) -> None:
        copies = [
            p for p in self._directory.iterdir() if p.is_file() and not p.name.startswith(".")
        ]
        copies = [p for p in copies if not p.name.endswith(".part")]
        total = sum(p.stat().st_size for p in copies)
        if total <= self._max_bytes:
            return
        in_use = set(self._in_use())
        for copy in sorted(copies, key=lambda p: p.stat().st_mtime):
            if total <= self._max_bytes:
                return
            if copy.name == keep or copy.name[:36] in in_use:
                continue
            total -= copy.stat().st_size
            copy.unlink(missing_ok=True)
            LOG.info("Image copy %s removed from the cache (least recently used)", copy.name)
