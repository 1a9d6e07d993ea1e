"""The demo fleet ``mogan serve --demo`` enrols on an empty database.

It goes through the same use cases as the API, so it is validated like any operator's input.
"""

from __future__ import annotations

from dataclasses import dataclass

from mogan.core.errors import Conflict
from mogan.core.pagination import PageRequest
from mogan.services import schemas
from mogan.services.bundle import Services
from mogan.services.context import RequestContext

ADMIN = RequestContext(project_id="admin", user_id="admin", roles=("admin",), request_id="demo")
NODES_PER_ZONE = 4
ZONES = ("az1", "az2")


@dataclass(frozen=True)
class DemoFleet:
    type_uuid: str
    image_uuid: str
    network_uuid: str
    created: bool


def ensure_demo_fleet(services: Services) -> DemoFleet:
    """Enrol the demo fleet unless nodes already exist; return what a first request needs."""
    nodes, _ = services.nodes.list(ADMIN, PageRequest(limit=1), {})
    if nodes:
        return _existing(services)
    for zone_index, zone in enumerate(ZONES):
        for index in range(NODES_PER_ZONE):
            number = zone_index * NODES_PER_ZONE + index
            services.nodes.create(
                ADMIN,
                schemas.NodeCreate.model_validate(
                    {
                        "name": f"demo-node-{number:02d}",
                        "driver": "fake",
                        "driver_info": {"fake_deploy_latency": 3, "fake_power_latency": 2},
                        "properties": {
                            "cpus": 32,
                            "memory_mb": 131072,
                            "local_gb": 960,
                            "cpu_arch": "x86_64",
                            "capabilities": {"boot_mode": "uefi"},
                        },
                        "resource_class": "baremetal",
                        "availability_zone": zone,
                        "nics": [
                            {"mac_address": f"52:54:00:00:{number:02x}:01", "port_type": "1GE"},
                            {"mac_address": f"52:54:00:00:{number:02x}:02", "port_type": "10GE"},
                        ],
                    }
                ),
            )
    try:
        instance_type = services.types.create(
            ADMIN,
            schemas.TypeCreate(
                name="bm.general",
                description="Any demo node: 32 cores, 128 GiB, 960 GB",
                is_public=True,
            ),
        )
        services.types.set_extra_specs(
            ADMIN, instance_type.type.uuid, {"resources:CUSTOM_BAREMETAL": "1"}
        )
    except Conflict:
        pass
    services.images.create(
        ADMIN,
        schemas.ImageCreate(
            name="ubuntu-24.04",
            url="http://images.example.org/ubuntu-24.04.qcow2",
            checksum=None,
            disk_format="qcow2",
        ),
    )
    services.networks.create(
        ADMIN,
        schemas.NetworkCreate.model_validate(
            {"name": "demo-net", "subnets": [{"cidr": "10.10.0.0/24", "gateway_ip": "10.10.0.1"}]}
        ),
    )
    fleet = _existing(services)
    return DemoFleet(fleet.type_uuid, fleet.image_uuid, fleet.network_uuid, created=True)


def _existing(services: Services) -> DemoFleet:
    types, _ = services.types.list(ADMIN, PageRequest(limit=1))
    images, _ = services.images.list(ADMIN, PageRequest(limit=1))
    networks, _ = services.networks.list(ADMIN, PageRequest(limit=1))
    return DemoFleet(
        type_uuid=types[0].type.uuid if types else "",
        image_uuid=images[0].uuid if images else "",
        network_uuid=networks[0].network.uuid if networks else "",
        created=False,
    )
