"""Inspection and cleaning of Ironic's nodes, done by Ironic.

Inspection is Ironic's: ``manage`` → ``inspect`` → ``manageable`` → ``provide`` (which runs
Ironic's automated cleaning where its ``[conductor] automated_clean`` is on) → ``available``;
what it found comes back in the node's properties by the inventory sync, and Ironic's own
inventory (``GET /v1/nodes/{node}/inventory``), where it keeps one, is returned as the raw
report.

Cleaning is Ironic's too (``cleans_itself``): after a tear-down (``deleted``) Ironic cleans on
its own, and ``clean`` waits until the node is ``available`` again, or ``clean failed``. An
operator's clean of an idle node is ``manage`` → ``provide``, which cleans again. Mogan's
``[cleaning] mode`` does not apply: Ironic's clean steps decide what is wiped.

Rescue is Ironic's too, as Nova's driver asks for it: ``rescue`` with the password (Ironic's
rescue interface boots its rescue ramdisk and sets it), ``unrescue`` back to ``active``; a
failed rescue (``rescue failed``) is unrescued by the engine at once, so the node boots its
disk again.

Every call reads the node first and carries on from where Ironic is, so repeating one after an
engine's takeover continues rather than starting over where it can.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from mogan.core.errors import CleaningFailed, DriverError
from mogan.core.lifecycle import CleaningMode
from mogan.core.states import PowerTarget
from mogan.drivers import base
from mogan.drivers.ironic.client import translated

LOG = logging.getLogger(__name__)

#: Ironic states whose work is under way: wait for them to end.
_BUSY = {
    "inspecting",
    "inspect wait",
    "cleaning",
    "clean wait",
    "verifying",
    "deleting",
    "rescuing",
    "rescue wait",
    "unrescuing",
}


class IronicLifecycle(base.InspectInterface, base.CleanInterface, base.RescueInterface):
    cleans_itself = True

    def __init__(self, machines: Any) -> None:
        #: The driver's deploy interface (``_Interfaces``): its reads, waits and clean-ups.
        self._machines = machines

    # -- inspection --------------------------------------------------------------------------

    def inspect(self, node: base.NodeRef) -> base.HardwareInventory:
        what = f"inspection of Ironic node {node.name}"
        found = self._machines._node(node, what)
        if found.instance_id is not None:
            raise DriverError(f"{what}: Ironic says it serves instance {found.instance_id}")
        if found.provision_state in ("available", "enroll"):
            self._move(node, "manage", "manageable", what)
        state = self._machines._node(node, what).provision_state
        if state in ("manageable", "inspect failed"):
            self._move(node, "inspect", "manageable", what, failed="inspect failed")
        elif state in ("inspecting", "inspect wait"):
            self._wait(node, "manageable", what, failed="inspect failed")
        self._move(node, "provide", "available", what, failed="clean failed")
        return self._inventory(node, what)

    def _inventory(self, node: base.NodeRef, what: str) -> base.HardwareInventory:
        baremetal = self._machines._client.baremetal
        with translated(self._machines._client, what):
            found = baremetal.get_node(node.uuid, fields=["properties"])
            response = baremetal.get(f"/nodes/{node.uuid}/inventory", microversion="1.81")
        properties = dict(found.properties or {})
        raw: dict[str, Any] = {"properties": properties}
        if response.status_code == 200:
            raw["inventory"] = response.json()
        cpus, memory = properties.get("cpus"), properties.get("memory_mb")
        return base.HardwareInventory(
            cpus=None if cpus is None else int(cpus),
            cpu_arch=properties.get("cpu_arch"),
            memory_mb=None if memory is None else int(memory),
            raw=raw,
        )

    # -- cleaning ----------------------------------------------------------------------------

    def clean(self, node: base.NodeRef, mode: CleaningMode, progress: base.CleanProgress) -> None:
        """After a tear-down (``node.instance_uuid`` names the instance torn down), wait for
        Ironic's automated cleaning; otherwise (an operator's clean) ask Ironic for one."""
        what = f"cleaning of Ironic node {node.name}"
        machines = self._machines
        found = machines._node(node, what)
        if found.instance_id not in (None, node.instance_uuid):
            raise DriverError(f"{what}: Ironic says it serves instance {found.instance_id}")
        state = found.provision_state
        if node.instance_uuid is None and state in ("available", "clean failed", "manageable"):
            if state != "manageable":
                self._move(node, "manage", "manageable", what)
            self._move(node, "provide", "available", what, failed="clean failed")
            progress("ironic_clean", "Ironic cleaned the node (manage, provide)")
        else:
            self._wait(node, "available", what, failed="clean failed")
            progress("ironic_clean", "Ironic's automated cleaning ended; the node is available")
        found = machines._node(node, what)
        machines._forget_instance(node, found, what)
        machines._ensure_power(node, found, PowerTarget.OFF, what)

    # -- rescue ------------------------------------------------------------------------------

    def rescue(self, node: base.NodeRef, request: base.RescueRequest) -> None:
        what = f"rescue of instance {request.instance_uuid} on Ironic node {node.name}"
        found = self._serving(node, request.instance_uuid, what)
        state = found.provision_state
        if state == "rescue":
            return  # a repeated step
        if state not in ("rescuing", "rescue wait"):
            if state not in ("active", "rescue failed"):
                raise DriverError(f"{what}: the node is {state!r} in Ironic, not active")
            with translated(self._machines._client, what):
                self._machines._client.baremetal.set_node_provision_state(
                    node.uuid, "rescue", rescue_password=request.rescue_password, wait=False
                )
        self._wait(node, "rescue", what, failed="rescue failed")

    def unrescue(
        self, node: base.NodeRef, instance_uuid: str, boot: base.DeployRequest | None = None
    ) -> None:
        what = f"unrescue of instance {instance_uuid} on Ironic node {node.name}"
        state = self._serving(node, instance_uuid, what).provision_state
        if state in ("rescuing", "rescue wait"):
            # Let the rescue under way end first: Ironic takes no verb meanwhile.
            with contextlib.suppress(DriverError):
                self._wait(node, "rescue", what, failed="rescue failed")
            state = self._machines._node(node, what).provision_state
        if state in ("rescue", "rescue failed"):
            self._move(node, "unrescue", "active", what)
        elif state == "unrescuing":
            self._wait(node, "active", what)
        elif state != "active":
            raise DriverError(f"{what}: the node is {state!r} in Ironic, not rescued")

    def _serving(self, node: base.NodeRef, instance_uuid: str, what: str) -> Any:
        found = self._machines._node(node, what)
        if found.instance_id != instance_uuid:
            raise DriverError(
                f"{what}: Ironic says the node serves {found.instance_id or 'no instance'}"
            )
        return found

    # -- moving and waiting ------------------------------------------------------------------

    def _move(
        self, node: base.NodeRef, verb: str, target: str, what: str, *, failed: str | None = None
    ) -> None:
        with translated(self._machines._client, what):
            self._machines._client.baremetal.set_node_provision_state(node.uuid, verb, wait=False)
        self._wait(node, target, what, failed=failed)

    def _wait(
        self, node: base.NodeRef, target: str, what: str, *, failed: str | None = None
    ) -> None:
        """Poll until Ironic reports ``target``; ``CleaningFailed`` (a clean) or
        ``DriverError`` (anything else) with Ironic's reason when it reports ``failed``."""
        machines = self._machines
        deadline = time.monotonic() + machines._settings.deploy_timeout
        polls = machines._polls()
        while True:
            found = machines._node(node, what)
            state = found.provision_state
            if state == target and found.target_provision_state is None:
                return
            if failed is not None and state == failed:
                error = CleaningFailed if failed == "clean failed" else DriverError
                raise error(f"{what}: Ironic says {state!r}: {machines._why(found)}")
            if state not in _BUSY and found.target_provision_state is None and state != target:
                raise DriverError(
                    f"{what}: the node is {state!r} in Ironic, not {target!r}"
                    f"{': ' + str(found.last_error) if found.last_error else ''}"
                )
            if time.monotonic() > deadline:
                raise DriverError(
                    f"{what}: not {target!r} after {machines._settings.deploy_timeout:.0f} s; "
                    f"Ironic says {state!r}"
                )
            next(polls)
