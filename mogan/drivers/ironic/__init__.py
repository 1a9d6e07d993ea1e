"""The ``ironic`` driver: nodes owned and deployed by an OpenStack Ironic."""

from mogan.drivers.ironic.client import IronicClient
from mogan.drivers.ironic.driver import IronicDriver, IronicSettings
from mogan.drivers.ironic.inventory import InventorySettings
from mogan.drivers.registry import DriverEnvironment


def create(environment: DriverEnvironment) -> IronicDriver:
    """The ``mogan.drivers`` entry point, configured by ``[ironic]``."""
    conf = environment.conf
    return IronicDriver(
        IronicClient(conf),
        IronicSettings(
            deploy_timeout=conf.ironic.deploy_timeout,
            poll_interval=conf.ironic.poll_interval,
        ),
        InventorySettings(
            zone_property=conf.ironic.availability_zone_property,
            zone_from_conductor_group=conf.ironic.availability_zone_from_conductor_group,
            default_port_type=conf.ironic.default_port_type,
        ),
    )


__all__ = ["InventorySettings", "IronicClient", "IronicDriver", "IronicSettings", "create"]
