"""All use cases of one process, as the API sees them."""

from __future__ import annotations

from dataclasses import dataclass

from mogan.services.actions import ActionService
from mogan.services.consoles import ConsoleService
from mogan.services.deploy_templates import DeployTemplateService
from mogan.services.floating_ips import FloatingIpService
from mogan.services.health import HealthService
from mogan.services.images import ImageService
from mogan.services.instances import InstanceService
from mogan.services.keypairs import KeypairService
from mogan.services.manageable import ManageableService
from mogan.services.metrics import MetricsService
from mogan.services.networks import NetworkService
from mogan.services.nodes import NodeService
from mogan.services.policy import Policy
from mogan.services.quotas import QuotaService
from mogan.services.server_groups import ServerGroupService
from mogan.services.tags import TagService
from mogan.services.types import TypeService
from mogan.services.zones import ZoneService


@dataclass(frozen=True)
class Services:
    instances: InstanceService
    types: TypeService
    zones: ZoneService
    nodes: NodeService
    images: ImageService
    networks: NetworkService
    manageable: ManageableService
    keypairs: KeypairService
    tags: TagService
    actions: ActionService
    quotas: QuotaService
    server_groups: ServerGroupService
    floating_ips: FloatingIpService
    consoles: ConsoleService
    deploy_templates: DeployTemplateService
    health: HealthService
    metrics: MetricsService
    #: The rules every service checks; the edge asks it first for routes that take a body.
    policy: Policy
