"""Rebuild: redeploy an instance on the node it has, from its (new) image → active.

The node, its ports and addresses stay the instance's throughout: the node is never
released and no other node is tried. A failed rebuild puts the instance in ``error`` with
the driver's fault, still on its node, where a person can rebuild it again or delete it.
"""

from __future__ import annotations

import logging

from mogan.core import states
from mogan.core.errors import DriverError
from mogan.core.operations import OperationKind, OperationStatus, RebuildState, Step
from mogan.db import instances
from mogan.db.images import IMAGES
from mogan.engine.operations.base import (
    Handler,
    OperationFailed,
    StepFunction,
    Work,
    activate,
    become_active,
    deploy_request,
    image_to_deploy,
    mention,
    note_node_error,
    record_configuration,
    subnets_of,
    template_steps,
)

LOG = logging.getLogger(__name__)


class RebuildInstance(Handler[RebuildState]):
    kind = OperationKind.REBUILD

    def steps(self) -> dict[Step, StepFunction[RebuildState]]:
        return {Step.REBUILD: self.step_rebuild, Step.FINISH: self.step_finish}

    def step_rebuild(self, work: Work[RebuildState]) -> Step | None:
        instance = instances.get(work.db, work.instance_uuid)
        if instance is None or instance.status != states.REBUILDING:
            work.cancel("Stopped: the instance is no longer being rebuilt.")
            return None
        node, driver, ref = work.node(instance.node_uuid)
        builtin = None if work.state.image else IMAGES.get(work.db, instance.image_uuid)
        image, image_url = image_to_deploy(
            work, driver, instance, builtin, work.state.image, "rebuild"
        )
        work.state.node_uuid = node.uuid
        request = deploy_request(
            instance,
            image,
            image_url,
            work.state.extra_specs,
            subnets_of(work, instance.network_info or {}),
            preserve_ephemeral=work.state.preserve_ephemeral,
            deploy_steps=template_steps(work, work.state.extra_specs),
        )
        try:
            result = work.driver_call(
                lambda: driver.deploy.rebuild(ref, request),
                f"rebuild of instance {instance.uuid} on node {mention(node)}",
            )
        except DriverError as exc:
            raise OperationFailed(
                f"Rebuild of instance {instance.uuid} from image {image.name} on node "
                f"{mention(node)} failed: {exc.message}"
            ) from None
        work.note("rebuild", f"image {image.name} on node {mention(node)}")
        if not result.config_drive:
            LOG.warning("Instance %s has no config drive: %s", instance.uuid, result.note)
        with work.db.transaction() as tx:
            record_configuration(tx, node.uuid, result)
            if node.last_error is not None:
                note_node_error(tx, node.uuid, None)
            if result.power_state is None:
                instances.move(
                    tx, work.instance_uuid, states.REBUILDING, config_drive=result.config_drive
                )
                return work.advance(tx, Step.FINISH)
            if activate(
                tx,
                work,
                node.uuid,
                result.power_state,
                from_status=states.REBUILDING,
                config_drive=result.config_drive,
            ):
                LOG.info("Instance %s rebuilt on node %s", work.instance_uuid, node.name)
        return None

    def step_finish(self, work: Work[RebuildState]) -> Step | None:
        node, driver, ref = work.node(work.state.node_uuid)
        if become_active(work, node, driver, ref, from_status=states.REBUILDING):
            LOG.info("Instance %s rebuilt on node %s", work.instance_uuid, node.name)
        return None

    def fail(self, work: Work[RebuildState], message: str) -> None:
        with work.db.transaction() as tx:
            if instances.move(tx, work.instance_uuid, states.REBUILDING, status=states.ERROR):
                instances.record_fault(tx, work.instance_uuid, message)
            if work.state.node_uuid is not None:
                note_node_error(tx, work.state.node_uuid, message)
            work.finish(tx, OperationStatus.FAILED)
        LOG.error("Rebuild of instance %s failed: %s", work.instance_uuid, message)
