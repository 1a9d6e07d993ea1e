"""Rescue over Redfish virtual media, as a tenant of Nova's libvirt rescue would expect it.

The rescue ISO takes the virtual CD (the instance's own image leaves it), a rescue config
drive takes the second slot, and the machine boots once from the CD (``Once``: a reset
without Mogan boots the instance's own media again, never the rescue system for good). The
rescue config drive carries the instance's key and a ``#cloud-config`` that sets the rescue
password for ``root`` and allows password logins, which cloud-init in the rescue image applies.
The machine's disks are never written.

Unrescue is the instance's own deploy again: its ISO back in the CD, a fresh config drive in
the second slot (the rescue drive's file removed), boot from CD as deployed, powered on. A
half-done rescue ends the same way, which is how the engine undoes a rescue that failed.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import sushy

from mogan.core import states
from mogan.core.errors import DriverError
from mogan.core.states import PowerTarget
from mogan.drivers import base
from mogan.drivers.redfish.client import translated

if TYPE_CHECKING:
    from mogan.drivers.redfish.driver import _Interfaces

LOG = logging.getLogger(__name__)


def rescue_user_data(password: str) -> bytes:
    """The rescue system's ``#cloud-config``: ``root`` takes ``password`` (JSON is YAML, so
    any password is quoted right)."""
    config = {
        "disable_root": False,
        "ssh_pwauth": True,
        "chpasswd": {
            "expire": False,
            "users": [{"name": "root", "password": password, "type": "text"}],
        },
    }
    return b"#cloud-config\n" + json.dumps(config).encode()


class RedfishRescue(base.RescueInterface):
    takes_boot_media = True

    def __init__(self, machines: _Interfaces) -> None:
        #: The driver's power and deploy interfaces: their media, power and waits.
        self._machines = machines

    def rescue(self, node: base.NodeRef, request: base.RescueRequest) -> None:
        if not request.image_url:
            raise DriverError(
                f"node {node.name} boots a rescue system from virtual media: name a rescue "
                "image, or ask the operator to set [rescue] image",
                node=node.uuid,
            )
        machines = self._machines
        bmc, system = machines._system(node)
        slots = machines._slots(node, bmc, system)
        cd = machines._cd_slot(node, slots)
        if machines.get_power_state(node) != states.POWER_OFF:
            machines.set_power_state(node, PowerTarget.OFF)
            machines._wait(node, states.POWER_OFF)
        try:
            machines._insert(node, bmc, cd, request.image_url)
        except DriverError as exc:
            raise DriverError(
                f"rescue image {request.image_url} could not be inserted: {exc.message}",
                node=node.uuid,
            ) from None
        drive = base.DeployRequest(
            instance_uuid=request.instance_uuid,
            instance_name=request.instance_name,
            image_url=request.image_url,
            image_checksum=None,
            image_disk_format="iso",
            key_name=request.key_name,
            public_key=request.public_key,
            user_data=rescue_user_data(request.rescue_password),
            metadata={"rescue": "true"},
        )
        result = machines._attach_config_drive(node, bmc, [s for s in slots if s is not cd], drive)
        if not result.config_drive:
            # Without it the rescue system would not know the password: no rescue at all.
            raise DriverError(
                f"rescue of node {node.name}: the rescue password cannot reach the rescue "
                f"system ({result.note})",
                node=node.uuid,
            )
        with translated(node, bmc, pool=machines._pool):
            system.set_system_boot_options(
                target=sushy.BootSource.CD, enabled=sushy.BootSourceOverrideEnabled.ONCE
            )
        machines.set_power_state(node, PowerTarget.ON)
        machines._wait(node, states.POWER_ON)
        LOG.info("Node %s booted rescue image %s once", node.name, request.image_url)

    def unrescue(
        self, node: base.NodeRef, instance_uuid: str, boot: base.DeployRequest | None = None
    ) -> None:
        if boot is None:
            raise DriverError(
                f"unrescue of node {node.name} needs the instance's own boot media", node=node.uuid
            )
        self._machines.deploy(node, boot)
        LOG.info("Node %s boots instance %s's own media again", node.name, instance_uuid)
