"""Images from Glance (``[image] backend = glance``), read as Nova reads them.

What a tenant may use is Glance's to decide: every read made for a request carries the
caller's own token, so Glance applies its visibility (public, private, shared, community)
and its policy. Mogan's service credentials (the ``[glance]`` keystoneauth options) serve to
find Glance in the catalog and to download an image the caller was already allowed to use,
for a BMC that needs a copy (``mogan.cloud.image_cache``); that service user needs Glance's
``admin`` role to read private images, as Ironic's does.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from oslo_config import cfg

from mogan.core.errors import DriverError, NotAuthenticated, NotFound, ServiceUnavailable
from mogan.core.images import GLANCE, ImageFacts

LOG = logging.getLogger(__name__)

GROUP = "glance"


class Glance:
    """Glance's v2 API. Thread-safe; builds its service session on first use."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        self._guard = threading.Lock()
        self._session: ks_session.Session | None = None
        self._endpoint: str | None = None

    # -- reads for a caller (ImageCatalog) ----------------------------------------------------

    def show(self, token: str | None, image_uuid: str) -> ImageFacts:
        _caller_token(token)
        with self._answer(f"image {image_uuid}") as call:
            body = call("GET", f"/v2/images/{image_uuid}", token).json()
        return facts(body)

    def page(
        self, token: str | None, limit: int, marker: str | None
    ) -> tuple[list[ImageFacts], str | None]:
        _caller_token(token)
        params: dict[str, Any] = {"limit": limit, "sort": "name:asc,id:asc"}
        if marker:
            params["marker"] = marker
        with self._answer("images") as call:
            body = call("GET", "/v2/images", token, params=params).json()
        found = [facts(image) for image in body.get("images", [])]
        return found, (found[-1].uuid if body.get("next") and found else None)

    # -- downloads with Mogan's own credentials -----------------------------------------------

    def download(self, image: ImageFacts, into: BinaryIO) -> int:
        """Write ``image``'s bytes into ``into``, checking them against its hash; the number
        of bytes written. ``DriverError`` when Glance fails or the bytes do not match."""
        digest = hashlib.new(image.hash_algo or "md5")
        expected = image.hash_value or image.checksum
        written = 0
        with self._answer(f"image {image.uuid}") as call:
            response = call("GET", f"/v2/images/{image.uuid}/file", None, stream=True)
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

    # -- plumbing -------------------------------------------------------------------------------

    def _service_session(self) -> ks_session.Session:
        with self._guard:
            if self._session is None:
                auth = ks_loading.load_auth_from_conf_options(self._conf, GROUP)
                self._session = ks_loading.load_session_from_conf_options(
                    self._conf, GROUP, auth=auth
                )
            return self._session

    def endpoint(self) -> str:
        """Glance's URL: ``[glance] endpoint_override``, or the service catalog's ``image``."""
        if self._endpoint is None:
            group = self._conf[GROUP]
            if group.endpoint_override:
                self._endpoint = str(group.endpoint_override).rstrip("/")
            else:
                found = self._service_session().get_endpoint(
                    service_type=group.service_type,
                    interface=list(group.valid_interfaces or ["internal", "public"]),
                    region_name=group.region_name,
                )
                if not found:
                    raise ServiceUnavailable("Glance is not in the service catalog (image).")
                self._endpoint = str(found).rstrip("/")
        return self._endpoint

    @contextlib.contextmanager
    def _answer(self, what: str) -> Iterator[Any]:
        """A caller of Glance whose faults become Mogan's: unreachable or 5xx is
        ``ServiceUnavailable`` (503, retry later), 404 and 403 are ``NotFound`` (the image is
        not the caller's to see), anything else a ``DriverError`` quoting Glance."""

        def call(method: str, path: str, token: str | None, **kwargs: Any) -> Any:
            """``token`` None: as Mogan itself (downloads only)."""
            session = self._service_session()
            headers = {"Accept": "application/json"}
            if token is not None:
                headers["X-Auth-Token"] = token
            return session.request(
                self.endpoint() + path,
                method,
                headers=headers,
                authenticated=token is None,
                raise_exc=True,
                connect_retries=self._conf[GROUP].connect_retries or 0,
                **kwargs,
            )

        try:
            yield call
        except ks_exceptions.NotFound:
            raise NotFound(f"Glance has no {what} (or it is not yours to use).") from None
        except ks_exceptions.Forbidden:
            raise NotFound(f"Glance has no {what} (or it is not yours to use).") from None
        except ks_exceptions.Unauthorized:
            raise ServiceUnavailable(
                f"Glance refused the credentials Mogan presented for {what}."
            ) from None
        except (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout):
            raise ServiceUnavailable(f"Glance at {self._where()} is unreachable.") from None
        except ks_exceptions.RetriableConnectionFailure:
            raise ServiceUnavailable(f"Glance did not answer in time for {what}.") from None
        except ks_exceptions.HttpError as exc:
            if (exc.http_status or 0) >= 500:
                raise ServiceUnavailable(f"Glance failed on {what} ({exc.http_status}).") from None
            raise DriverError(f"Glance refused {what} ({exc.http_status}): {exc.message}") from None
        except ks_exceptions.ClientException as exc:
            raise ServiceUnavailable(f"Glance could not be reached for {what}: {exc}") from None

    def _where(self) -> str:
        return self._endpoint or str(self._conf[GROUP].endpoint_override or "(the catalog)")


def _caller_token(token: str | None) -> None:
    """A read for a caller is made with the caller's token, never with Mogan's own."""
    if token is None:
        raise NotAuthenticated("Images are read from Glance with the caller's Keystone token.")


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
