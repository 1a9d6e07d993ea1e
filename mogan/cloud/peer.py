"""An OpenStack service Mogan talks to through keystoneauth (Glance, Neutron).

Mogan's service credentials (the peer's section of keystoneauth options, as Nova has them)
find the service in the catalog and make the calls Mogan makes as itself; a call made for a
caller carries the caller's own token instead, so the peer applies its own visibility and
policy to what the caller may see and do. Every fault becomes one of Mogan's, saying which
service failed and how, so that an API caller gets a 4xx or 503 and an operation a fault a
person can act on.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from oslo_config import cfg

from mogan.core.errors import Conflict, DriverError, NotAuthenticated, NotFound, ServiceUnavailable


class ServicePeer:
    """One OpenStack service of the catalog. Thread-safe; builds its session on first use.

    ``name`` is how people know it ("Neutron"), ``group`` its configuration section.
    """

    name = "the service"
    group = ""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        self._guard = threading.Lock()
        self._session: ks_session.Session | None = None
        self._endpoint: str | None = None

    def _service_session(self) -> ks_session.Session:
        with self._guard:
            if self._session is None:
                auth = ks_loading.load_auth_from_conf_options(self._conf, self.group)
                self._session = ks_loading.load_session_from_conf_options(
                    self._conf, self.group, auth=auth
                )
            return self._session

    def endpoint(self) -> str:
        """The service's URL: ``endpoint_override``, or the catalog's ``service_type``."""
        if self._endpoint is None:
            group = self._conf[self.group]
            if group.endpoint_override:
                self._endpoint = str(group.endpoint_override).rstrip("/")
            else:
                found = self._service_session().get_endpoint(
                    service_type=group.service_type,
                    interface=list(group.valid_interfaces or ["internal", "public"]),
                    region_name=group.region_name,
                )
                if not found:
                    raise ServiceUnavailable(
                        f"{self.name} is not in the service catalog ({group.service_type})."
                    )
                self._endpoint = str(found).rstrip("/")
        return self._endpoint

    def call(self, method: str, path: str, token: str | None, **kwargs: Any) -> Any:
        """One request: with the caller's ``token``, or as Mogan itself when None. Raises
        keystoneauth's exceptions: use it inside ``answer``."""
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["X-Auth-Token"] = token
        return self._service_session().request(
            self.endpoint() + path,
            method,
            headers=headers,
            authenticated=token is None,
            raise_exc=True,
            connect_retries=self._conf[self.group].connect_retries or 0,
            **kwargs,
        )

    @contextlib.contextmanager
    def answer(self, what: str) -> Iterator[None]:
        """Faults of the calls made inside become Mogan's: unreachable or 5xx is
        ``ServiceUnavailable`` (retry later), 404 and 403 are ``NotFound`` (not the caller's
        to see), 409 a ``Conflict``, anything else a ``DriverError`` quoting the service."""
        try:
            yield
        except (ks_exceptions.NotFound, ks_exceptions.Forbidden):
            raise NotFound(f"{self.name} has no {what} (or it is not yours to use).") from None
        except ks_exceptions.Conflict as exc:
            raise Conflict(f"{self.name} refused {what}: {_said(exc)}") from None
        except ks_exceptions.Unauthorized:
            raise ServiceUnavailable(
                f"{self.name} refused the credentials Mogan presented for {what}."
            ) from None
        except (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout):
            raise ServiceUnavailable(f"{self.name} at {self._where()} is unreachable.") from None
        except ks_exceptions.RetriableConnectionFailure:
            raise ServiceUnavailable(f"{self.name} did not answer in time for {what}.") from None
        except ks_exceptions.HttpError as exc:
            if (exc.http_status or 0) >= 500:
                raise ServiceUnavailable(
                    f"{self.name} failed on {what} ({exc.http_status})."
                ) from None
            raise DriverError(
                f"{self.name} refused {what} ({exc.http_status}): {_said(exc)}"
            ) from None
        except ks_exceptions.ClientException as exc:
            raise ServiceUnavailable(
                f"{self.name} could not be reached for {what}: {exc}"
            ) from None

    def _where(self) -> str:
        return self._endpoint or str(self._conf[self.group].endpoint_override or "(the catalog)")


def caller_token(token: str | None, what: str) -> str:
    """A read for a caller is made with the caller's token, never with Mogan's own (which
    would show every tenant what the service user sees)."""
    if token is None:
        raise NotAuthenticated(f"{what} are read with the caller's Keystone token.")
    return token


def _said(exc: ks_exceptions.HttpError) -> str:
    """What the service said, from the OpenStack error bodies (``NeutronError``, …)."""
    response = getattr(exc, "response", None)
    if response is not None:
        with contextlib.suppress(ValueError, AttributeError):
            body = response.json()
            for value in body.values() if isinstance(body, dict) else ():
                if isinstance(value, dict) and value.get("message"):
                    return str(value["message"])
    return str(exc.message or exc)
