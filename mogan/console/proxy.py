"""The serial console proxy: a WebSocket that relays one instance's serial console.

It is mounted beside the API (``/v1/consoles/serial``) by the composition root, so every API
process serves consoles and they scale with the API workers; a console costs one WebSocket
and one stream to the node's console (Ironic's ``socat``, or the fake driver's simulated
machine). Like Nova's serial proxy it trusts nothing but its ticket: ``POST
/v1/instances/{id}/remote_consoles`` gives a token, good for one connection to that one
instance within ``[console] token_ttl`` seconds. A browser on another site cannot open it
(the ``Origin`` must be this host), and the console closes when the instance is deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Protocol
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from mogan.core import states
from mogan.core.clock import utcnow
from mogan.core.errors import DriverError
from mogan.db import consoles, instances, nodes
from mogan.db.database import Database
from mogan.drivers.base import NodeRef
from mogan.drivers.fake_console import SimulatedSerial
from mogan.drivers.registry import DriverRegistry

LOG = logging.getLogger(__name__)

#: WebSocket close codes: a policy refusal, the instance going away, a peer failing.
_REFUSED, _GOING_AWAY, _FAILED = 1008, 1001, 1011


class Stream(Protocol):
    async def read(self) -> bytes: ...

    async def write(self, data: bytes) -> None: ...

    async def close(self) -> None: ...


class TcpStream:
    """A raw console stream over TCP (``tcp://host:port``)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> TcpStream:
        where = urlsplit(url)
        reader, writer = await asyncio.open_connection(where.hostname, where.port)
        return cls(reader, writer)

    async def read(self) -> bytes:
        return await self._reader.read(4096)

    async def write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConsoleProxy:
    """The ASGI app of ``/v1/consoles/serial``."""

    def __init__(self, db: Database, drivers: DriverRegistry, *, watch_interval: float = 2.0):
        self._db, self._drivers, self._watch_interval = db, drivers, watch_interval

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await send(
                {
                    "type": "http.response.start",
                    "status": 426,
                    "headers": [(b"content-type", b"text/plain"), (b"upgrade", b"websocket")],
                }
            )
            await send({"type": "http.response.body", "body": b"A WebSocket is needed.\n"})
            return
        await self.serve(WebSocket(scope, receive, send))

    async def serve(self, websocket: WebSocket) -> None:
        origin = websocket.headers.get("origin")
        if origin and urlsplit(origin).netloc != websocket.headers.get("host"):
            await websocket.close(_REFUSED, "A console opens only from this site.")
            return
        token = websocket.query_params.get("token", "")
        ticket = await run_in_threadpool(consoles.take, self._db, token_hash(token), utcnow())
        if ticket is None:
            await websocket.close(_REFUSED, "This console token is unknown, used or expired.")
            return
        instance = await run_in_threadpool(instances.get, self._db, ticket.instance_uuid)
        node = (
            None
            if instance is None or instance.node_uuid is None
            else await run_in_threadpool(nodes.NODES.get, self._db, instance.node_uuid)
        )
        if instance is None or node is None:
            await websocket.close(_GOING_AWAY, "The instance is gone.")
            return
        driver = self._drivers.get(node.driver)
        console = driver.console
        if console is None:
            await websocket.close(_FAILED, f"Driver {driver.name} has no serial console.")
            return
        ref = NodeRef(node.uuid, node.name, node.driver_info, instance.uuid, node.properties)
        try:
            endpoint = await run_in_threadpool(console.start, ref)
            stream: Stream = (
                SimulatedSerial(instance.name, rescued=instance.status == states.RESCUE)
                if endpoint.url.startswith("fake://")
                else await TcpStream.open(endpoint.url)
            )
        except (DriverError, OSError) as exc:
            LOG.warning("Console of instance %s could not be reached: %s", instance.uuid, exc)
            await websocket.close(_FAILED, "The node's console could not be reached.")
            return
        await websocket.accept()
        LOG.info("Console of instance %s opened", instance.uuid)
        reason = await self._relay(websocket, stream, instance.uuid)
        await stream.close()
        with contextlib.suppress(RuntimeError):  # the browser may have closed it already
            await websocket.close(*reason)
        LOG.info("Console of instance %s closed", instance.uuid)

    async def _relay(
        self, websocket: WebSocket, stream: Stream, instance_uuid: str
    ) -> tuple[int, str]:
        async def out() -> tuple[int, str]:
            while data := await stream.read():
                await websocket.send_bytes(data)
            return _GOING_AWAY, "The node's console closed."

        async def into() -> tuple[int, str]:
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    message = await websocket.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    data = message.get("bytes") or (message.get("text") or "").encode()
                    await stream.write(data[:65536])
            return 1000, "Closed."

        async def watch() -> tuple[int, str]:
            while True:
                await asyncio.sleep(self._watch_interval)
                found = await run_in_threadpool(instances.get, self._db, instance_uuid)
                if found is None or found.status == states.DELETING:
                    return _GOING_AWAY, "The instance is being deleted."

        tasks = [asyncio.create_task(job()) for job in (out, into, watch)]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        (first, *_) = done
        try:
            return first.result()
        except Exception as exc:  # a broken stream or socket ends the console, said once
            LOG.info("Console of instance %s ended: %s", instance_uuid, exc)
            return _FAILED, "The console connection failed."
