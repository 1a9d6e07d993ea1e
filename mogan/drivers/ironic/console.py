"""Ironic's serial console, as Nova's Ironic driver reaches it: ``console_enabled`` set, then
the URL Ironic's console interface gives (``tcp://host:port`` for ``ipmitool-socat``, which
Mogan's proxy streams; ``shellinabox`` URLs are web pages, not streams, and are refused)."""

from __future__ import annotations

import time
from collections.abc import Callable

from mogan.core.errors import DriverError
from mogan.drivers import base
from mogan.drivers.ironic.client import IronicClient, translated


class IronicConsole(base.ConsoleInterface):
    def __init__(
        self,
        client: IronicClient,
        *,
        timeout: float = 30.0,
        poll_interval: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._timeout, self._poll_interval, self._sleep = timeout, poll_interval, sleep

    def start(self, node: base.NodeRef) -> base.ConsoleEndpoint:
        what = f"serial console of Ironic node {node.name}"
        baremetal = self._client.baremetal
        with translated(self._client, what):
            found = baremetal.get_node_console(node.uuid)
            if not found.get("console_enabled"):
                baremetal.enable_node_console(node.uuid)
        deadline = time.monotonic() + self._timeout
        while True:
            with translated(self._client, what):
                found = baremetal.get_node_console(node.uuid)
            if found.get("console_enabled"):
                url = str((found.get("console_info") or {}).get("url") or "")
                if url.startswith("tcp://"):
                    return base.ConsoleEndpoint(url)
                raise DriverError(
                    f"{what}: Ironic's console interface gives "
                    f"{url or 'no URL'}, not a serial stream (tcp://) Mogan can relay; use "
                    "ipmitool-socat"
                )
            if time.monotonic() > deadline:
                raise DriverError(f"{what}: Ironic did not enable it in {self._timeout:.0f} s")
            self._sleep(self._poll_interval)
