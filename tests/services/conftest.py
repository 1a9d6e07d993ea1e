"""The services tier: use cases called directly, the engine's work run in the test's thread.

No HTTP server, no engine threads, no peers: a service call, then ``settle()`` carries out
every operation it queued, in order, exactly as an engine would (the same claim, the same
handlers, the fake driver with no latency).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mogan.root import Mogan
from mogan.services import schemas
from mogan.services.bundle import Services
from mogan.services.context import RequestContext
from tests.harness import make_mogan

ADMIN = RequestContext("admin-project", "admin-user", ("admin",), "req-admin")


def member(project: str, roles: tuple[str, ...] = ("member",)) -> RequestContext:
    return RequestContext(project, f"{project}-user", roles, f"req-{project}")


@dataclass
class Cloud:
    """A Mogan without its servers, and the fleet its operator enrolled."""

    mogan: Mogan
    type_uuid: str = ""
    image_uuid: str = ""
    network_uuid: str = ""

    @property
    def services(self) -> Services:
        return self.mogan.services

    def settle(self) -> int:
        """Carry out every queued operation now; how many ran."""
        assert self.mogan.engine is not None
        return self.mogan.engine.run_until_idle()

    def enrol(self, name: str, zone: str = "az1", nics: int = 1, **driver_info: Any) -> str:
        """A fake node; the scheduler prefers nodes with fewer ``nics``."""
        index = sum(name.encode())
        node = self.services.nodes.create(
            ADMIN,
            schemas.NodeCreate.model_validate(
                {
                    "name": name,
                    "driver": "fake",
                    "driver_info": driver_info,
                    "properties": {"cpus": 8, "memory_mb": 65536, "local_gb": 500},
                    "resource_class": "baremetal",
                    "availability_zone": zone,
                    "nics": [
                        {"mac_address": f"52:54:00:aa:{index % 256:02x}:{nic:02x}"}
                        for nic in range(nics)
                    ],
                }
            ),
        )
        self.settle()  # its verification
        return str(node.node.uuid)

    def create(self, context: RequestContext, name: str = "web", **extra: Any) -> str:
        request = schemas.InstanceCreate.model_validate(
            {
                "name": name,
                "instance_type_uuid": self.type_uuid,
                "image_uuid": self.image_uuid,
                "networks": [{"net_id": self.network_uuid}],
                **extra,
            }
        )
        return str(self.services.instances.create(context, request).instances[0].instance.uuid)


@pytest.fixture
def cloud(database_url: str, tmp_path: Any) -> Iterator[Cloud]:
    mogan = make_mogan(database_url, str(tmp_path))
    cloud = Cloud(mogan)
    services = cloud.services
    cloud.enrol("node-1")
    instance_type = services.types.create(ADMIN, schemas.TypeCreate(name="bm.small"))
    cloud.type_uuid = instance_type.type.uuid
    cloud.image_uuid = services.images.create(
        ADMIN,
        schemas.ImageCreate(name="ubuntu", url="http://img/u.qcow2", disk_format="qcow2"),
    ).uuid
    cloud.network_uuid = services.networks.create(
        ADMIN,
        schemas.NetworkCreate.model_validate({"name": "net", "subnets": [{"cidr": "10.0.0.0/24"}]}),
    ).network.uuid
    yield cloud
    mogan.close()
