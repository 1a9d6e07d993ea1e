"""What the use cases may know of drivers: what each enabled one can do, not how.

Services decide what an operator may ask of a node (enrol it with these ``driver_info``
keys, inspect it, clean it) from a ``DriverCatalog``; only the engine talks to drivers. The
registry of ``mogan.drivers`` is the catalog the composition root hands them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class DriverCapabilities:
    name: str
    #: ``driver_info`` keys a node of this driver must have.
    required_info: tuple[str, ...]
    #: Its nodes are enrolled in a service of their own (Ironic) and synced from it.
    has_inventory: bool
    can_inspect: bool
    can_clean: bool
    #: The image disk formats it deploys (None: any).
    disk_formats: frozenset[str] | None = None
    #: It boots rescue systems; it reaches its nodes' serial consoles.
    can_rescue: bool = False
    has_console: bool = False


class DriverCatalog(Protocol):
    @property
    def names(self) -> list[str]:
        """The enabled drivers."""
        ...

    def capabilities(self, name: str) -> DriverCapabilities:
        """What driver ``name`` can do; ``InvalidInput`` when it is not enabled."""
        ...
