"""The connection to Ironic (openstacksdk over a keystoneauth session) and the one place
where openstacksdk's and keystoneauth's errors become Mogan's.

Everything about reaching Ironic comes from the ``[ironic]`` section, read the way every
OpenStack service reads the section of a peer: keystoneauth's session options (``timeout``,
``cafile``…), auth options (``auth_type``, ``auth_url``, credentials; ``auth_type = none`` for
a standalone Ironic) and adapter options (``endpoint_override``, ``region_name``,
``valid_interfaces``, ``connect_retries``, ``status_code_retries``…). openstacksdk negotiates
the API microversion with the server.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading as ks_loading
from openstack import connection as sdk_connection
from openstack import exceptions as sdk_exceptions
from oslo_config import cfg

from mogan.core.errors import DriverError, NodeUnreachable

LOG = logging.getLogger(__name__)

GROUP = "ironic"


class IronicClient:
    """A lazily built, shared openstacksdk connection (it is safe across threads)."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        self._guard = threading.Lock()
        self._connection: sdk_connection.Connection | None = None

    @property
    def baremetal(self) -> Any:
        """openstacksdk's baremetal proxy; building it contacts nobody."""
        with self._guard:
            if self._connection is None:
                self._connection = self._connect()
            return self._connection.baremetal

    def _connect(self) -> sdk_connection.Connection:
        auth = ks_loading.load_auth_from_conf_options(self._conf, GROUP)
        session = ks_loading.load_session_from_conf_options(self._conf, GROUP, auth=auth)
        return sdk_connection.Connection(
            session=session,
            oslo_conf=self._conf,
            service_types=["baremetal"],
            strict_proxies=False,
        )

    def endpoint(self) -> str:
        """Where Ironic is, for messages: the override, or the catalog it is looked up in."""
        group = self._conf[GROUP]
        if group.endpoint_override:
            return str(group.endpoint_override)
        auth_url = getattr(group, "auth_url", None)
        return f"(the Keystone catalog of {auth_url})" if auth_url else "(the service catalog)"


def _fault_text(exc: sdk_exceptions.HttpException) -> str:
    """Ironic's own words (its ``faultstring``), which openstacksdk keeps in ``details``."""
    return str(exc.details or exc.message or exc).strip()


@contextlib.contextmanager
def translated(client: IronicClient, what: str) -> Iterator[None]:
    """Run an Ironic call, turning its errors into ``DriverError``s that say what failed.

    Unreachable, 5xx and "node locked" answers are ``NodeUnreachable`` (retrying can help);
    any other refusal is a plain ``DriverError`` quoting Ironic.
    """
    try:
        yield
    except DriverError:
        raise
    except (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout) as exc:
        # keystoneauth names the URL it could not reach (Ironic's, or Keystone's for a token).
        where = str(exc).split(": HTTP")[0]
        raise NodeUnreachable(
            f"{what}: Ironic at {client.endpoint()} is unreachable ({where})"
        ) from None
    except ks_exceptions.DiscoveryFailure:
        # The first call of a process discovers Ironic's API versions; a down Ironic fails here.
        raise NodeUnreachable(
            f"{what}: Ironic at {client.endpoint()} did not answer API version discovery "
            "(unreachable, or not an Ironic API)"
        ) from None
    except ks_exceptions.RetriableConnectionFailure as exc:
        raise NodeUnreachable(f"{what}: Ironic did not answer in time ({exc})") from None
    except sdk_exceptions.HttpException as exc:
        status = exc.status_code or 0
        text = _fault_text(exc)
        if status >= 500:
            raise NodeUnreachable(f"{what}: Ironic answered {status}: {text}") from None
        if status == 409 and "locked" in text.lower():
            raise NodeUnreachable(f"{what}: Ironic answered 409: {text}") from None
        raise DriverError(f"{what}: Ironic refused ({status}): {text}") from None
    except ks_exceptions.ClientException as exc:
        raise DriverError(f"{what}: could not talk to Ironic: {exc}") from None
    except sdk_exceptions.SDKException as exc:
        raise DriverError(f"{what}: {exc}") from None
