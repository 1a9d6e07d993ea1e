"""Drivers by name: plugins of the ``mogan.drivers`` entry-point group, built on first use.

Each entry point names a factory, ``create(environment) -> Driver``. Only the drivers a
process enables (``[DEFAULT] enabled_drivers``) are looked up, and a driver's module (sushy,
openstacksdk…) is imported only when something first needs that driver: an API worker that
never touches a Redfish node never loads sushy. A name that no installed package provides is
refused when the registry is made, so a typo fails the process at start, not a request later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from oslo_config import cfg

from mogan.core.capabilities import DriverCapabilities
from mogan.core.errors import InvalidInput
from mogan.drivers.base import Driver
from mogan.drivers.instrumented import MeasuredDriver

if TYPE_CHECKING:
    from mogan.core.simulation import HardwareStore

ENTRY_POINT_GROUP = "mogan.drivers"


@dataclass(frozen=True)
class DriverEnvironment:
    """What the composition root hands every driver factory."""

    conf: cfg.ConfigOpts
    #: Where the fake driver keeps its simulated machines (the database; built on demand).
    fake_hardware: Callable[[], HardwareStore]


#: A driver factory, as an entry point of ``ENTRY_POINT_GROUP`` names it.
DriverFactory = Callable[[DriverEnvironment], Driver]


def installed_drivers() -> dict[str, EntryPoint]:
    """Every driver an installed package provides, by name (nothing is imported)."""
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


class DriverRegistry:
    """The drivers this process has enabled, by name; each is built when first asked for."""

    def __init__(self, factories: Mapping[str, Callable[[], Driver]]) -> None:
        self._factories = dict(factories)
        self._built: dict[str, Driver] = {}
        self._guard = threading.Lock()

    @classmethod
    def from_entry_points(
        cls, names: Sequence[str], environment: DriverEnvironment
    ) -> DriverRegistry:
        """The registry of ``names``, each made by its installed plugin's factory."""
        installed = installed_drivers()
        unknown = sorted(set(names) - set(installed))
        if unknown:
            raise ValueError(
                f"[DEFAULT] enabled_drivers names unknown drivers: {', '.join(unknown)}"
                f"; installed: {', '.join(sorted(installed))}"
            )

        def factory(point: EntryPoint) -> Callable[[], Driver]:
            def build() -> Driver:
                create: DriverFactory = point.load()
                return create(environment)

            return build

        return cls({name: factory(installed[name]) for name in names})

    @property
    def names(self) -> list[str]:
        return sorted(self._factories)

    def get(self, name: str) -> Driver:
        driver = self._built.get(name)
        if driver is not None:
            return driver
        if name not in self._factories:
            raise InvalidInput(
                f"driver {name!r} is not enabled; enabled drivers: "
                f"{', '.join(self.names) or 'none'}"
            )
        with self._guard:  # built once, even when two threads ask at the same moment
            if name not in self._built:
                self._built[name] = MeasuredDriver(self._factories[name](), name)
            return self._built[name]

    def close(self) -> None:
        """Close every driver built so far (at the process's end)."""
        with self._guard:
            built, self._built = list(self._built.values()), {}
        for driver in built:
            driver.close()

    def capabilities(self, name: str) -> DriverCapabilities:
        """What driver ``name`` can do (``mogan.core.capabilities``)."""
        driver = self.get(name)
        return DriverCapabilities(
            name=name,
            required_info=tuple(driver.required_info()),
            has_inventory=driver.inventory is not None,
            can_inspect=driver.inspect is not None,
            can_clean=driver.clean is not None,
            disk_formats=driver.disk_formats,
            can_rescue=driver.rescue is not None,
            has_console=driver.console is not None,
        )
