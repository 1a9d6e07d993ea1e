"""sushy connections, one per BMC and reused, and the translation of sushy's errors.

Every sushy or requests exception is turned into a ``DriverError`` here, where it enters, with
a message that quotes the BMC's own words and names the node — and never a password (sushy's
messages carry URLs, never credentials). Retrying is the engine's job, so sushy's own
server-side retries are off.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
import sushy
from sushy import auth as sushy_auth
from sushy import exceptions as sushy_errors

from mogan.core.errors import DriverError, NodeUnreachable, UnsupportedAction
from mogan.drivers.base import NodeRef

LOG = logging.getLogger(__name__)

#: Seconds a closing pool spends logging out of its BMCs before leaving the rest to expire.
LOGOUT_DEADLINE = 10.0


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


#: The pool's ask counts halve after this many asks per kept connection.
AGE_AFTER = 8


class SushyPool:
    """One ``sushy.Sushy`` per BMC (address, credentials, TLS setting), shared by threads.

    At most ``size`` are kept (Ironic's ``[redfish] connection_cache_size``): a client holds an
    HTTP connection pool and a session on its BMC, and an engine that syncs the power of a
    region's BMCs would otherwise keep one of each for every BMC it ever spoke to.

    When the pool is full, a new BMC's client replaces the least recently used one only if
    that BMC has been asked for more often (counts halved as they grow, so they follow what
    is asked now); otherwise it serves the call with HTTP Basic authentication (no session
    to open or close) and is let go. Plain
    least-recently-used dropping fails the power sync, which reads every BMC of the engine's
    share in the same order each round: with more BMCs than ``size`` each connection would be
    dropped just before its next use, and every read would log in again. Kept this way the
    same ``size`` BMCs stay and are read on their kept session each round, while a node being
    deployed (asked many times) still takes a place. A dropped client logs out of its BMC
    (outside the pool's lock). ``size`` 0 keeps none: every call authenticates with Basic.
    """

    def __init__(self, *, connect_timeout: float, read_timeout: float, size: int = 1000) -> None:
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._size = size
        self._clients: collections.OrderedDict[
            tuple[str, str | None, str | None, str], sushy.Sushy
        ] = collections.OrderedDict()
        #: How often each BMC was asked for lately (halved as they grow: see ``AGE_AFTER``).
        self._asked: collections.Counter[tuple[str, str | None, str | None, str]] = (
            collections.Counter()
        )
        self._asks = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._clients)

    def client(self, bmc: BMCAddress, node: NodeRef) -> sushy.Sushy:
        with self._lock:
            self._count(bmc.key)
            client = self._clients.get(bmc.key)
            if client is not None:
                self._clients.move_to_end(bmc.key)
                return client
            keep = self._would_keep(bmc.key)
        with translated(node, bmc):
            # A connection not kept authenticates each request (Redfish services must accept
            # HTTP Basic): a session would cost a log-in and a log-out around a single use,
            # and its log-out would run whenever the client is collected.
            credentials: dict[str, Any] = (
                {"username": bmc.username, "password": bmc.password}
                if keep
                else {"auth": sushy_auth.BasicAuth(bmc.username, bmc.password)}
            )
            client = sushy.Sushy(
                f"{bmc.address}/redfish/v1",
                verify=bmc.verify,
                **credentials,
                server_side_retries=1,  # one attempt: sushy reads 0 as 'its default of 3'
                server_side_retries_delay=1,
                read_timeout=self._read_timeout,
                connect_timeout=self._connect_timeout,
            )
        if not keep:
            return client
        evicted = []
        with self._lock:
            kept = self._clients.get(bmc.key)
            if kept is not None:  # another thread opened one meanwhile: use that
                self._clients.move_to_end(bmc.key)
                evicted.append(client)
                client = kept
            else:
                while len(self._clients) >= self._size:
                    evicted.append(self._clients.popitem(last=False)[1])
                self._clients[bmc.key] = client
        # Out of the lock: a log-out is a round trip to that BMC, and collected inside the
        # lock it would hold up every other thread's connection meanwhile.
        for dropped in evicted:
            _log_out(dropped)
        return client

    def _would_keep(self, key: tuple[str, str | None, str | None, str]) -> bool:
        """Whether a new connection to ``key``'s BMC is kept (under the lock): while there is
        room, or when the BMC was asked for more often than the least recently used one."""
        if self._size == 0:
            return False
        if len(self._clients) < self._size:
            return True
        oldest = next(iter(self._clients))
        # Its asks before this one against the oldest's: in the sync's cyclic scan a BMC read
        # this round is one ask ahead of a kept one not yet read.
        return self._asked[key] - 1 > self._asked[oldest]

    def _count(self, key: tuple[str, str | None, str | None, str]) -> None:
        """One more ask for ``key`` (under the lock); the counts halve as they grow."""
        self._asked[key] += 1
        self._asks += 1
        if self._asks >= AGE_AFTER * max(self._size, 1):
            self._asks = 0
            self._asked = collections.Counter({k: n // 2 for k, n in self._asked.items() if n > 1})

    def client_of(self, node: NodeRef) -> sushy.Sushy | None:
        """The connection kept for the node's BMC, if one is (without touching its place)."""
        with self._lock:
            return self._clients.get(BMCAddress.from_info(node.driver_info).key)

    def close(self) -> None:
        """Log out of every BMC a connection is kept for, many at once, and keep none.

        Left to the garbage collector, each client would log out when collected: one after
        the other at the process's exit, a BMC's round trip each (minutes for thousands).
        Log-outs not done within ``LOGOUT_DEADLINE`` are given up: those sessions expire on
        their BMCs (their ``SessionTimeout``), and a stopping engine does not wait for them.
        """
        with self._lock:
            clients, self._clients = list(self._clients.values()), collections.OrderedDict()
        sessions = [auth for auth in map(_detach, clients) if auth is not None]
        if not sessions:
            return
        pool = ThreadPoolExecutor(min(64, len(sessions)), thread_name_prefix="bmc-logout")
        _, left = futures.wait(
            [pool.submit(_close_session, auth) for auth in sessions], timeout=LOGOUT_DEADLINE
        )
        pool.shutdown(wait=False, cancel_futures=True)
        if left:
            LOG.info("Left %d BMC sessions to expire (log-outs not done in time)", len(left))

    def forget(self, bmc: BMCAddress) -> None:
        """Drop a connection that failed, so the next call starts afresh."""
        with self._lock:
            dropped = self._clients.pop(bmc.key, None)
        if dropped is not None:
            _log_out(dropped)

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


def _detach(client: sushy.Sushy) -> Any:
    """The client's authentication, taken from it: sushy offers no close of its own, and its
    ``__del__`` logs out with ``_auth`` (a session's DELETE) when the client is collected."""
    auth, client._auth = getattr(client, "_auth", None), None
    return auth


def _close_session(auth: Any) -> None:
    try:
        auth.close()
    except Exception as exc:  # a BMC gone or refusing: its session expires on its own
        LOG.debug("Logging out of a BMC failed: %s", exc)


def _log_out(client: sushy.Sushy) -> None:
    auth = _detach(client)
    if auth is not None:
        _close_session(auth)


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
