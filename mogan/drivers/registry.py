"""Driver lookup by name."""

from __future__ import annotations

from collections.abc import Mapping

from mogan.core.errors import InvalidInput
from mogan.drivers.base import Driver


class DriverRegistry:
    """The drivers this process has enabled, by name."""

    def __init__(self, drivers: Mapping[str, Driver]) -> None:
        self._drivers = dict(drivers)

    @property
    def names(self) -> list[str]:
        return sorted(self._drivers)

    def get(self, name: str) -> Driver:
        try:
            return self._drivers[name]
        except KeyError:
            raise InvalidInput(
                f"driver {name!r} is not enabled; enabled drivers: "
                f"{', '.join(self.names) or 'none'}"
            ) from None
