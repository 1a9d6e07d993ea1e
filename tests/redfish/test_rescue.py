"""Rescue over Redfish against sushy-tools: what the BMC holds is read back from the BMC —
the rescue ISO in the virtual CD, a config drive carrying the password and the key, a boot
from CD only once — and after the unrescue the instance's own media again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness import Api
from tests.peers.redfish import FaultProxy, FileServer, RedfishEmulator, read_config_drive
from tests.redfish.conftest import create, enrol, make_world


def _last_boot_asked(proxy: FaultProxy) -> tuple[str, str]:
    (*_, boot) = [body["Boot"] for _path, body in proxy.patches if "Boot" in body]
    return boot["BootSourceOverrideTarget"], boot["BootSourceOverrideEnabled"]


def _configdrives(files: FileServer) -> set[str]:
    return {path.name for path in (files.directory / "configdrive").iterdir()}


def test_a_rescue_boots_the_rescue_iso_once_and_the_unrescue_the_instances_own_again(
    start_api: Callable[..., Api],
    emulator: RedfishEmulator,
    files: FileServer,
    request: pytest.FixtureRequest,
):
    rescue_iso = files.add_iso("rescue.iso")
    api = start_api(rescue__image=rescue_iso)
    world = make_world(api, files)
    keypair = api.post("/v1/keypairs", {"name": "ops"}).json()
    # Behind a proxy that keeps what each PATCH asked: sushy-tools shows every boot override
    # as Continuous, whatever was asked.
    proxy = FaultProxy(emulator.url).__enter__()
    request.addfinalizer(lambda: proxy.__exit__(None, None, None))
    enrol(api, "bmc-3", emulator.driver_info(3, redfish_address=proxy.url))
    response = api.create(
        world["type"], world["image"], [{"net_id": world["network"]["uuid"]}], key_name="ops"
    )
    assert response.status_code == 201, response.text
    uuid = response.json()["uuid"]
    api.wait_status(uuid, "active", timeout=60)
    own_image = emulator.media(3, "Cd")["Image"]
    own_drive = emulator.media(3, "Floppy")["Image"]

    asked = api.post(f"/v1/instances/{uuid}/states/rescue", {"rescue_password": 'p"w: #1'})
    assert asked.status_code == 202, asked.text
    assert api.wait_status(uuid, "rescue", timeout=60)["power_state"] == "power on"
    assert emulator.media(3, "Cd")["Image"] == rescue_iso
    assert emulator.system(3)["Boot"]["BootSourceOverrideTarget"] == "Cd"
    assert _last_boot_asked(proxy) == ("Cd", "Once")
    assert emulator.system(3)["PowerState"] == "On"
    drive = emulator.media(3, "Floppy")
    assert drive["Inserted"] and drive["Image"] != own_drive
    found = read_config_drive(drive["Image"])
    assert found["meta_data.json"]["uuid"] == uuid
    assert found["meta_data.json"]["public_keys"] == {"ops": keypair["public_key"]}
    config = yaml.safe_load(found["user_data"].decode())
    assert found["user_data"].startswith(b"#cloud-config\n")
    assert config["chpasswd"]["users"] == [{"name": "root", "password": 'p"w: #1', "type": "text"}]
    assert config["ssh_pwauth"] is True
    # The instance's own drive is gone from the web server; only the rescue drive is served.
    assert _configdrives(files) == {drive["Image"].rsplit("/", 1)[-1]}

    assert api.delete(f"/v1/instances/{uuid}/states/rescue").status_code == 202
    api.wait_status(uuid, "active", timeout=60)
    assert emulator.media(3, "Cd")["Image"] == own_image
    assert emulator.system(3)["Boot"]["BootSourceOverrideTarget"] == "Cd"
    assert _last_boot_asked(proxy) == ("Cd", "Continuous")
    assert proxy.errors == []
    assert emulator.system(3)["PowerState"] == "On"
    again = emulator.media(3, "Floppy")["Image"]
    assert again not in (own_drive, drive["Image"])
    restored = read_config_drive(again)
    assert restored["meta_data.json"]["uuid"] == uuid and restored["user_data"] is None
    assert _configdrives(files) == {again.rsplit("/", 1)[-1]}


def test_a_rescue_image_the_bmc_cannot_fetch_is_undone_and_the_instance_runs_its_own(
    api: Api, emulator: RedfishEmulator, files: FileServer, world: dict[str, Any], tmp_path: Path
):
    missing = api.admin.post(
        "/v1/images",
        {"name": "gone", "url": f"{files.url}/no-such-rescue.iso", "disk_format": "iso"},
    ).json()
    enrol(api, "bmc-4", emulator.driver_info(4))
    uuid = create(api, world)
    api.wait_status(uuid, "active", timeout=60)
    own_image = emulator.media(4, "Cd")["Image"]

    asked = api.post(f"/v1/instances/{uuid}/states/rescue", {"image_uuid": missing["uuid"]})
    assert asked.status_code == 202, asked.text

    def undone(found: dict[str, Any]) -> bool:
        (latest, *_) = api.get(f"/v1/instances/{uuid}/actions").json()["actions"]
        return (
            found["status"] == "active" and latest["action"] == "rescue" and bool(latest["message"])
        )

    api.wait_for(uuid, undone, what="the failed rescue undone", timeout=60)
    (latest, *_) = api.get(f"/v1/instances/{uuid}/actions").json()["actions"]
    # The tenant is told what failed, without the fleet's addresses; the operator sees them.
    assert "rescue image (a URL) could not be inserted" in latest["message"], latest["message"]
    assert "404" in latest["message"]
    shown = api.admin.get(f"/v1/instances/{uuid}/actions/{latest['request_id']}").json()
    assert "no-such-rescue.iso could not be inserted" in shown["message"], shown["message"]
    assert emulator.media(4, "Cd")["Image"] == own_image
    assert emulator.system(4)["PowerState"] == "On"
    assert emulator.system(4)["Boot"]["BootSourceOverrideEnabled"] == "Continuous"


def test_without_a_rescue_image_a_redfish_rescue_says_what_to_set(
    api: Api, emulator: RedfishEmulator, world: dict[str, Any]
):
    enrol(api, "bmc-5", emulator.driver_info(5))
    uuid = create(api, world)
    api.wait_status(uuid, "active", timeout=60)
    assert api.post(f"/v1/instances/{uuid}/states/rescue", {}).status_code == 202

    def undone(found: dict[str, Any]) -> bool:
        (latest, *_) = api.get(f"/v1/instances/{uuid}/actions").json()["actions"]
        return found["status"] == "active" and bool(latest["message"])

    api.wait_for(uuid, undone, what="the refused rescue", timeout=60)
    (latest, *_) = api.get(f"/v1/instances/{uuid}/actions").json()["actions"]
    assert "[rescue] image" in latest["message"]


def test_a_serial_console_on_redfish_is_refused_saying_why(
    api: Api, emulator: RedfishEmulator, world: dict[str, Any]
):
    """Redfish's SerialConsole service is not relayed (docs/operator-guide.md): the tenant
    is told at once, rather than given a ticket to nothing."""
    enrol(api, "bmc-6", emulator.driver_info(6))
    uuid = create(api, world)
    api.wait_status(uuid, "active", timeout=60)
    refused = api.post(f"/v1/instances/{uuid}/remote_consoles", {"protocol": "serial"})
    assert refused.status_code == 409, refused.text
    assert "no serial console" in refused.text
