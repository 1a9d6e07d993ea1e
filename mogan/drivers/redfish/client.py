"""sushy connections, one per BMC and reused, and the translation of sushy's errors.

Every sushy or requests exception is turned into a ``DriverError`` here, where it enters, with
a message that quotes the BMC's own words and names the node — and never a password (sushy's
messages carry URLs, never credentials). Retrying is the engine's job, so sushy's own
server-side retries are off.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import sushy
from sushy import exceptions as sushy_errors

from mogan.core.errors import DriverError, NodeUnreachable, UnsupportedAction
from mogan.drivers.base import NodeRef

LOG = logging.getLogger(__name__)


class BMCServerError(DriverError):
    """The BMC answered 5xx: often transient, worth retrying."""

    retryable = True


@dataclass(frozen=True)
class BMCAddress:
    """How to reach one BMC, from a node's driver_info."""

    address: str
    username: str | None
    password: str | None
    verify: bool | str
    system_id: str | None

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> BMCAddress:
        address = str(info.get("redfish_address") or "").rstrip("/")
        if not address:
            raise DriverError("driver_info needs redfish_address (e.g. https://10.0.0.5)")
        if "://" not in address:
            address = "https://" + address
        return cls(
            address=address,
            username=info.get("redfish_username"),
            password=info.get("redfish_password"),
            verify=_verify(info.get("redfish_verify_ca", True)),
            system_id=info.get("redfish_system_id") or None,
        )

    @property
    def key(self) -> tuple[str, str | None, str | None, str]:
        return (self.address, self.username, self.password, str(self.verify))


def _verify(value: Any) -> bool | str:
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    return text  # a CA bundle path


class SushyPool:
    """One ``sushy.Sushy`` per BMC (address, credentials, TLS setting), shared by threads."""

    def __init__(self, *, connect_timeout: float, read_timeout: float) -> None:
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._clients: dict[tuple[str, str | None, str | None, str], sushy.Sushy] = {}
        self._lock = threading.Lock()

    def client(self, bmc: BMCAddress, node: NodeRef) -> sushy.Sushy:
        with self._lock:
            client = self._clients.get(bmc.key)
        if client is not None:
            return client
        with translated(node, bmc):
            client = sushy.Sushy(
                f"{bmc.address}/redfish/v1",
                username=bmc.username,
                password=bmc.password,
                verify=bmc.verify,
                server_side_retries=1,  # one attempt: sushy reads 0 as 'its default of 3'
                server_side_retries_delay=1,
                read_timeout=self._read_timeout,
                connect_timeout=self._connect_timeout,
            )
        with self._lock:
            return self._clients.setdefault(bmc.key, client)

    def forget(self, bmc: BMCAddress) -> None:
        """Drop a connection that failed, so the next call starts afresh."""
        with self._lock:
            self._clients.pop(bmc.key, None)

    def system(self, bmc: BMCAddress, node: NodeRef) -> Any:
        """The node's ComputerSystem; without a system id, the BMC's only system."""
        client = self.client(bmc, node)
        with translated(node, bmc, pool=self):
            if bmc.system_id:
                identity = bmc.system_id
                if not identity.startswith("/"):
                    identity = f"/redfish/v1/Systems/{identity}"
                return client.get_system(identity)
            members = list(client.get_system_collection().members_identities)
            if len(members) != 1:
                raise DriverError(
                    f"BMC of node {node.name} at {bmc.address} manages "
                    f"{len(members)} systems; set redfish_system_id to one of "
                    f"{', '.join(members) or 'them'}",
                    node=node.uuid,
                )
            return client.get_system(members[0])


def _bmc_words(exc: sushy_errors.HTTPError) -> str:
    """The BMC's own error text (Redfish MessageId and message) when it gave one."""
    parts = []
    if getattr(exc, "code", None):
        parts.append(str(exc.code))
    detail = getattr(exc, "detail", None)
    if detail:
        parts.append(str(detail))
    return ": ".join(parts) if parts else str(exc)


@contextlib.contextmanager
def translated(node: NodeRef, bmc: BMCAddress, *, pool: SushyPool | None = None) -> Iterator[None]:
    """Turn sushy / requests errors raised in the block into Mogan driver errors."""
    where = f"BMC of node {node.name} at {bmc.address}"
    try:
        yield
    except DriverError:
        raise
    except sushy_errors.AccessError as exc:
        raise DriverError(
            f"{where} refused the credentials (HTTP {exc.status_code}): {_bmc_words(exc)}",
            node=node.uuid,
        ) from None
    except sushy_errors.ResourceNotFoundError:
        raise DriverError(
            f"{where} has no system {bmc.system_id or ''}".rstrip() + " (HTTP 404)", node=node.uuid
        ) from None
    except sushy_errors.ServerSideError as exc:
        if pool is not None:
            pool.forget(bmc)
        raise BMCServerError(
            f"{where} failed (HTTP {exc.status_code}): {_bmc_words(exc)}", node=node.uuid
        ) from None
    except sushy_errors.HTTPError as exc:
        words = _bmc_words(exc)
        error_type = (
            UnsupportedAction
            if ("NotSupported" in words or exc.status_code == 501)
            else DriverError
        )
        raise error_type(
            f"{where} rejected the request (HTTP {exc.status_code}): {words}", node=node.uuid
        ) from None
    except (sushy_errors.ConnectionError, requests.exceptions.RequestException) as exc:
        if pool is not None:
            pool.forget(bmc)
        cause = getattr(exc, "kwargs", {}).get("error", exc)
        reason = (
            "timed out"
            if isinstance(cause, requests.exceptions.Timeout)
            else "could not be reached"
        )
        raise NodeUnreachable(f"{where} {reason}: {_short(cause)}", node=node.uuid) from None
    except sushy_errors.InvalidParameterValueError as exc:
        raise UnsupportedAction(f"{where}: {exc}", node=node.uuid) from None
    except sushy_errors.SushyError as exc:
        raise DriverError(f"{where}: {exc}", node=node.uuid) from None


def _short(error: BaseException) -> str:
    text = str(error)
    return text if len(text) <= 300 else text[:297] + "..."
