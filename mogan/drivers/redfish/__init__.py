"""The ``redfish`` driver: a BMC spoken to directly over Redfish, through sushy.

``client`` keeps one sushy connection per BMC and translates sushy's errors; ``driver`` is
power and virtual-media deploy; ``configdrive`` builds the OpenStack config drive ISO.
"""

from mogan.core.lifecycle import BiosBaseline
from mogan.drivers.redfish.driver import RedfishDriver, RedfishSettings
from mogan.drivers.registry import DriverEnvironment


def create(environment: DriverEnvironment) -> RedfishDriver:
    """The ``mogan.drivers`` entry point, configured by ``[redfish]``."""
    redfish = environment.conf.redfish
    return RedfishDriver(
        RedfishSettings(
            connect_timeout=redfish.connect_timeout,
            read_timeout=redfish.read_timeout,
            connection_cache_size=redfish.connection_cache_size,
            power_state_timeout=redfish.power_state_timeout,
            poll_interval=redfish.poll_interval,
            configdrive_dir=redfish.configdrive_dir,
            configdrive_url=redfish.configdrive_url,
            cleaning_iso_url=redfish.cleaning_iso_url,
            configuration_timeout=redfish.configuration_timeout,
            bios_baseline=BiosBaseline.parse(environment.conf.cleaning.bios_baseline),
            clean_timeout=environment.conf.cleaning.timeout,
        )
    )


__all__ = ["RedfishDriver", "RedfishSettings", "create"]
