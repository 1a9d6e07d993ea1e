"""The fake driver's serial console: a simulated machine behind a serial line.

On connect it prints a boot log and a login prompt, as a server's console shows after a
reboot; then it echoes what is typed, as a terminal line discipline does, answering each
line with a new prompt (a password prompt after a user name). Nothing is executed.
"""

from __future__ import annotations

import asyncio

_BOOT_LOG = (
    "[    0.000000] Linux version 6.1.0-28-amd64 (Debian 6.1.119-1)\r\n"
    "[    0.412345] ACPI: Core revision 20220331\r\n"
    "[    1.532101] EXT4-fs (sda1): mounted filesystem with ordered data mode\r\n"
    "[  OK  ] Reached target Multi-User System.\r\n"
    "\r\n"
    "Debian GNU/Linux 12 {hostname} ttyS0\r\n"
    "\r\n"
)


class SimulatedSerial:
    """One connection to a simulated machine's ``ttyS0``."""

    def __init__(self, hostname: str, *, rescued: bool = False) -> None:
        self._hostname = hostname + ("-rescue" if rescued else "")
        self._output: asyncio.Queue[bytes] = asyncio.Queue()
        self._line = b""
        self._asking_password = False
        self._output.put_nowait(_BOOT_LOG.format(hostname=self._hostname).encode())
        self._prompt()

    def _prompt(self) -> None:
        prompt = "Password: " if self._asking_password else f"{self._hostname} login: "
        self._output.put_nowait(prompt.encode())

    async def read(self) -> bytes:
        """What the machine prints next (waits for it)."""
        return await self._output.get()

    async def write(self, data: bytes) -> None:
        """What is typed: echoed (not while a password is typed), lines answered."""
        for byte in data:
            char = bytes([byte])
            if char in (b"\r", b"\n"):
                self._output.put_nowait(b"\r\n")
                if self._asking_password:
                    self._output.put_nowait(b"\r\nLogin incorrect\r\n")
                self._asking_password = bool(self._line) and not self._asking_password
                self._line = b""
                self._prompt()
            elif char in (b"\x7f", b"\x08"):
                if self._line:
                    self._line = self._line[:-1]
                    if not self._asking_password:
                        self._output.put_nowait(b"\x08 \x08")
            else:
                self._line += char
                if not self._asking_password:
                    self._output.put_nowait(char)

    async def close(self) -> None:
        return None
