"""The whole chain: Mogan → Ironic (``redfish`` hardware type, ``ramdisk`` deploy,
``redfish-virtual-media`` boot) → sushy-tools' Redfish emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import conformance
from tests.functional.test_ironic import nodes_of, serve_on, setup_tenancy, sync
from tests.harness import Api
from tests.peers.ironic import IronicServer, expect
from tests.peers.redfish import FileServer, RedfishEmulator

# Ironic and the BMC do this test's work; Mogan's database plays the part it plays in
# test_ironic.py, which runs on both.
pytestmark = [pytest.mark.functional, pytest.mark.backends("sqlite")]


def enrol_redfish(ironic: IronicServer, emulator: RedfishEmulator, index: int) -> dict[str, Any]:
    """A node as an operator enrols a Redfish server in Ironic, made available."""
    with ironic.api() as api:
        node = expect(
            api.post(
                "/v1/nodes",
                json={
                    "name": f"redfish-{index}",
                    "driver": "redfish",
                    "deploy_interface": "ramdisk",
                    "boot_interface": "redfish-virtual-media",
                    "resource_class": "baremetal",
                    "driver_info": emulator.driver_info(index),
                },
            ),
            201,
        )
        mac = emulator.systems[index]["nics"][0]["mac"]
        expect(api.post("/v1/ports", json={"node_uuid": node["uuid"], "address": mac}), 201)
        ironic.move(api, node["uuid"], "manage", "manageable")  # validates power over Redfish
        return ironic.move(api, node["uuid"], "provide", "available")


def test_an_instance_deployed_by_ironic_on_a_redfish_bmc(fresh_url: str, tmp_path: Path):
    with FileServer(tmp_path / "www") as files:
        emulator = RedfishEmulator(tmp_path, systems=2, fast=True).start()
        ironic = IronicServer(
            tmp_path, redfish=True, http_root=files.directory, http_url=files.url
        ).start()
        mogan = serve_on(ironic, tmp_path, fresh_url)
        try:
            nodes = [enrol_redfish(ironic, emulator, i) for i in range(2)]
            with conformance.client(mogan.url, timeout=120) as client:
                api = Api(client)
                assert len(sync(api)["added"]) == 2
                type_, _, network = setup_tenancy(api)
                image_url = files.add_iso("live.iso")
                image = api.admin.post(
                    "/v1/images", {"name": "live", "url": image_url, "disk_format": "iso"}
                ).json()
                created = api.create(
                    type_, image, [{"net_id": network["uuid"]}], name="edge-1"
                ).json()
                active = api.wait_status(created["uuid"], "active", timeout=120)
                assert active["power_state"] == "power on"

                (node,) = [n for n in ironic.nodes() if n["instance_uuid"] == created["uuid"]]
                assert node["provision_state"] == "active"
                index = [n["uuid"] for n in nodes].index(node["uuid"])
                cd = emulator.media(index, "Cd")
                assert cd["Inserted"], cd
                assert emulator.system(index)["PowerState"] == "On"

                assert api.delete(f"/v1/instances/{created['uuid']}").status_code == 204
                api.wait_gone(created["uuid"], timeout=120)
                assert not emulator.media(index, "Cd")["Inserted"]
                assert ironic.node(node["uuid"])["provision_state"] == "available"
                assert nodes_of(api)[node["uuid"]]["instance_uuid"] is None

                # An image Ironic cannot fetch: its deploy fails on every node, in its words.
                missing = api.admin.post(
                    "/v1/images",
                    {"name": "gone", "url": f"{files.url}/missing.iso", "disk_format": "iso"},
                ).json()
                doomed = api.create(
                    type_, missing, [{"net_id": network["uuid"]}], name="edge-2"
                ).json()
                api.wait_status(doomed["uuid"], "error", timeout=180)
                # As the operator reads it: the tenant's copy names no URL of the operator's.
                shown = api.admin.get(f"/v1/instances/{doomed['uuid']}").json()
                message = shown["fault"]["message"]
                assert "Ironic's deploy failed" in message, message
                assert "missing.iso" in message and "404" in message, message
                assert all(
                    n["provision_state"] == "available" and n["instance_uuid"] is None
                    for n in ironic.nodes()
                )
        finally:
            mogan.kill()
            ironic.stop()
            emulator.stop()
