"""The ``redfish`` driver: a BMC spoken to directly over Redfish, through sushy.

``client`` keeps one sushy connection per BMC and translates sushy's errors; ``driver`` is
power and virtual-media deploy; ``configdrive`` builds the OpenStack config drive ISO.
"""

from mogan.drivers.redfish.driver import RedfishDriver, RedfishSettings

__all__ = ["RedfishDriver", "RedfishSettings"]
