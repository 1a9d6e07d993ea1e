"""Rescue: boot an instance's node once from a rescue system, its disk left untouched
(``rescuing`` → ``rescue``), and back to its own disk (``unrescuing`` → ``active``).

The rescue system is the tenant's chosen image, else the operator's ``[rescue] image``, else
the driver's own (Ironic's rescue ramdisk). It takes the rescue password (and the instance's
key) as its root login. The password is a secret: it travels in the operation's state only
until the driver has it, and is forgotten in the same transaction that records the outcome.

A rescue that fails is undone at once (the driver boots the node's disk again, nothing left
inserted): the instance is ``active`` again and the action records the fault. Only when the
undoing fails too is the instance in ``error``, from where an unrescue (or a delete) finishes
the job. A failed unrescue leaves it in ``error`` likewise.
"""

from __future__ import annotations

import logging

from mogan.core import states
from mogan.core.errors import DriverError
from mogan.core.operations import OperationKind, OperationStatus, RescueState, Step
from mogan.db import instances
from mogan.db.images import IMAGES
from mogan.db.records import InstanceRow, NodeRow
from mogan.drivers.base import DeployRequest, Driver, NodeRef, RescueInterface, RescueRequest
from mogan.engine.operations.base import (
    Handler,
    OperationFailed,
    StepFunction,
    Work,
    deploy_request,
    image_to_deploy,
    mention,
    note_node_error,
    subnets_of,
)

LOG = logging.getLogger(__name__)

_URL_SCHEMES = ("http://", "https://", "file://")


class RescueInstance(Handler[RescueState]):
    kind = OperationKind.RESCUE

    def steps(self) -> dict[Step, StepFunction[RescueState]]:
        return {Step.RESCUE: self.step_rescue, Step.UNRESCUE: self.step_unrescue}

    def event(self, work: Work[RescueState]) -> str:
        return "instance.unrescue" if work.state.unrescue else "instance.rescue"

    def _instance(self, work: Work[RescueState], status: str) -> InstanceRow | None:
        instance = instances.get(work.db, work.instance_uuid)
        if instance is None or instance.status != status or instance.node_uuid is None:
            work.cancel(f"Stopped: the instance is no longer {status}.")
            return None
        return instance

    @staticmethod
    def _rescuer(driver: Driver, node: NodeRow) -> RescueInterface:
        if driver.rescue is None:
            raise OperationFailed(
                f"Node {mention(node)}'s driver {driver.name} cannot boot a rescue system."
            )
        return driver.rescue

    # -- rescue ------------------------------------------------------------------------------

    def step_rescue(self, work: Work[RescueState]) -> Step | None:
        instance = self._instance(work, states.RESCUING)
        if instance is None:
            return None
        node, driver, ref = work.node(instance.node_uuid)
        work.state.node_uuid = node.uuid
        rescuer = self._rescuer(driver, node)
        image_url, image_name = self._image(work, driver, instance)
        request = RescueRequest(
            instance_uuid=instance.uuid,
            instance_name=instance.name,
            rescue_password=work.state.rescue_password or "",
            image_url=image_url,
            key_name=instance.key_name,
            public_key=instance.key_data,
        )
        work.state.rescue_password = None  # saved with the outcome below, never again
        try:
            work.driver_call(
                lambda: rescuer.rescue(ref, request),
                f"rescue of instance {instance.uuid} on node {mention(node)}",
            )
        except DriverError as exc:
            return self._undo(work, instance, (node, driver, ref), exc.message)
        work.note("rescue", f"node {mention(node)} boots {image_name}")
        with work.db.transaction() as tx:
            if instances.move(
                tx,
                instance.uuid,
                states.RESCUING,
                status=states.RESCUE,
                power_state=states.POWER_ON,
            ):
                LOG.info("Instance %s rescued on node %s", instance.uuid, node.name)
            work.finish(tx)
        return None

    def _image(
        self, work: Work[RescueState], driver: Driver, instance: InstanceRow
    ) -> tuple[str | None, str]:
        """The rescue image's URL for the driver, and its name for the record: a Glance
        image as a deploy takes it (``image_to_deploy``), a URL, or one of the registry."""
        if work.state.image is not None:
            facts, url = image_to_deploy(work, driver, instance, None, work.state.image, "rescue")
            return url, f"image {facts.name}"
        chosen = work.state.image_uuid or work.settings.rescue_image
        if chosen is None:
            return None, "the driver's rescue system"
        if chosen.startswith(_URL_SCHEMES):
            return chosen, chosen
        image = IMAGES.get(work.db, chosen)
        if image is None:
            raise OperationFailed(f"Rescue image {chosen} was deleted before the rescue.")
        return image.url, f"image {image.name}"

    def _boot(
        self, work: Work[RescueState], driver: Driver, instance: InstanceRow
    ) -> DeployRequest | None:
        """How the instance was deployed, for a driver whose rescue took its boot media."""
        assert driver.rescue is not None
        if not driver.rescue.takes_boot_media:
            return None
        glance = work.state.boot_image
        builtin = None if glance else IMAGES.get(work.db, instance.image_uuid)
        image, url = image_to_deploy(work, driver, instance, builtin, glance, "unrescue")
        return deploy_request(
            instance, image, url, {}, subnets_of(work, instance.network_info or {})
        )

    def _undo(
        self,
        work: Work[RescueState],
        instance: InstanceRow,
        held: tuple[NodeRow, Driver, NodeRef],
        why: str,
    ) -> Step | None:
        """A failed rescue: boot the node's disk again and keep the instance active with the
        fault recorded; ``OperationFailed`` (→ ``error``) when that fails too."""
        node, driver, ref = held
        rescuer = self._rescuer(driver, node)
        message = f"Rescue of instance {work.instance_uuid} on node {mention(node)} failed: {why}"
        work.note("rescue", message, failed=True)
        try:
            boot = self._boot(work, driver, instance)
            work.driver_call(
                lambda: rescuer.unrescue(ref, work.instance_uuid, boot),
                f"undoing the rescue on node {mention(node)}",
            )
        except (DriverError, OperationFailed) as exc:
            raise OperationFailed(
                f"{message}; booting its own disk again failed too: {exc}. Unrescue "
                "it to try again, or delete it."
            ) from None
        work.failure = f"{message}. The instance runs from its own disk again."
        with work.db.transaction() as tx:
            instances.move(tx, work.instance_uuid, states.RESCUING, status=states.ACTIVE)
            instances.record_fault(tx, work.instance_uuid, work.failure)
            note_node_error(tx, node.uuid, message)
            work.finish(tx, OperationStatus.FAILED)
        LOG.error("%s", work.failure)
        return None

    # -- unrescue ----------------------------------------------------------------------------

    def step_unrescue(self, work: Work[RescueState]) -> Step | None:
        instance = self._instance(work, states.UNRESCUING)
        if instance is None:
            return None
        node, driver, ref = work.node(instance.node_uuid)
        work.state.node_uuid = node.uuid
        rescuer = self._rescuer(driver, node)
        boot = self._boot(work, driver, instance)
        try:
            work.driver_call(
                lambda: rescuer.unrescue(ref, instance.uuid, boot),
                f"unrescue of instance {instance.uuid} on node {mention(node)}",
            )
        except DriverError as exc:
            raise OperationFailed(
                f"Unrescue of instance {instance.uuid} on node {mention(node)} failed: "
                f"{exc.message}"
            ) from None
        work.note("unrescue", f"node {mention(node)} boots its own disk")
        with work.db.transaction() as tx:
            if node.last_error is not None:
                note_node_error(tx, node.uuid, None)
            if instances.move(
                tx,
                instance.uuid,
                states.UNRESCUING,
                status=states.ACTIVE,
                power_state=states.POWER_ON,
            ):
                LOG.info("Instance %s unrescued on node %s", instance.uuid, node.name)
            work.finish(tx)
        return None

    def fail(self, work: Work[RescueState], message: str) -> None:
        work.state.rescue_password = None
        doing = states.UNRESCUING if work.state.unrescue else states.RESCUING
        with work.db.transaction() as tx:
            if instances.move(tx, work.instance_uuid, doing, status=states.ERROR):
                instances.record_fault(tx, work.instance_uuid, message)
            if work.state.node_uuid is not None:
                note_node_error(tx, work.state.node_uuid, message)
            work.finish(tx, OperationStatus.FAILED)
        LOG.error("%s of instance %s failed: %s", doing, work.instance_uuid, message)
