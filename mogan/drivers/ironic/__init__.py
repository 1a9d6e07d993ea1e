"""The ``ironic`` driver: nodes owned and deployed by an OpenStack Ironic."""

from mogan.drivers.ironic.client import IronicClient
from mogan.drivers.ironic.driver import IronicDriver, IronicSettings
from mogan.drivers.ironic.inventory import InventorySettings

__all__ = ["InventorySettings", "IronicClient", "IronicDriver", "IronicSettings"]
