"""Every call into a driver, timed and its errors counted, by driver and ``interface.method``
(``mogan_driver_call_duration_seconds``, ``mogan_driver_call_errors_total``).

The registry wraps each driver it builds, so every caller (operations, the power sync, the
inventory sync, the API's validations) is measured the same way without knowing it. A call's
time includes the driver's own waits (a deploy that waits for the BMC to power on), which is
what an operator wants to see of a slow BMC.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mogan.core.metrics import DRIVER_CALLS, DRIVER_ERRORS
from mogan.drivers import base

#: The driver's interfaces that are measured (those it has).
INTERFACES = ("power", "deploy", "inventory", "inspect", "clean", "vifs", "rescue", "console")


class _Measured:
    """One interface of a driver: its public methods timed, everything else passed through."""

    def __init__(self, target: Any, driver: str, interface: str) -> None:
        self._target = target
        self._driver = driver
        self._interface = interface

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name.startswith("_") or not callable(value):
            return value
        return _timed(value, self._driver, f"{self._interface}.{name}")


def _timed(function: Callable[..., Any], driver: str, call: str) -> Callable[..., Any]:
    histogram = DRIVER_CALLS.labels(driver, call)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            DRIVER_ERRORS.labels(driver, call, type(exc).__name__).inc()
            raise
        finally:
            histogram.observe(time.perf_counter() - start)

    return timed


class MeasuredDriver(base.Driver):
    """``driver`` with each interface measured; it answers to everything ``driver`` does."""

    def __init__(self, driver: base.Driver, name: str) -> None:
        self._driver = driver
        self.name = driver.name
        for interface in INTERFACES:
            found = getattr(driver, interface, None)
            setattr(self, interface, None if found is None else _Measured(found, name, interface))
        self.disk_formats = driver.disk_formats
        self.reads_glance = driver.reads_glance
        self._validate = _timed(driver.validate, name, "management.validate")

    @property
    def unwrapped(self) -> base.Driver:
        return self._driver

    def validate(self, node: base.NodeRef) -> None:
        self._validate(node)

    def required_info(self) -> tuple[str, ...]:
        return self._driver.required_info()

    def close(self) -> None:
        self._driver.close()

    def validate_interfaces(self, node: base.NodeRef) -> dict[str, base.InterfaceCheck]:
        return self._driver.validate_interfaces(node)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)
