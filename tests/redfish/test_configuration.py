"""Deploy templates over Redfish against sushy-tools (whose systems the test wrapper gives a
BIOS with pending settings applied at the next boot, and volumes that keep their RAID type):
what the BMC holds is read from the BMC, never from what Mogan says."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.harness import Api
from tests.peers.redfish import FileServer, RedfishEmulator
from tests.peers.sushy_launcher import FACTORY_BIOS
from tests.redfish.conftest import enrol, make_world

GIB = 1024**3

DB_TEMPLATE: dict[str, Any] = {
    "name": "CUSTOM_DB_RAID10",
    "steps": [
        {
            "interface": "bios",
            "step": "apply_configuration",
            "args": {
                "settings": [
                    {"name": "ProcTurboMode", "value": "Disabled"},
                    {"name": "QuietBoot", "value": False},
                ]
            },
            "priority": 150,
        },
        {
            "interface": "raid",
            "step": "apply_configuration",
            "args": {
                "raid_config": {
                    "logical_disks": [
                        {"size_gb": 100, "raid_level": "1+0", "volume_name": "root"},
                        {"size_gb": 50, "raid_level": "1", "volume_name": "logs"},
                    ]
                }
            },
            "priority": 140,
        },
    ],
}


def _bios(emulator: RedfishEmulator, index: int) -> dict[str, Any]:
    attributes: dict[str, Any] = emulator.get(f"{emulator.system_path(index)}/BIOS")["Attributes"]
    return attributes


def _pending(emulator: RedfishEmulator, index: int) -> dict[str, Any]:
    path = f"{emulator.system_path(index)}/BIOS/Settings"
    attributes: dict[str, Any] = emulator.get(path)["Attributes"]
    return attributes


def _bios_template(name: str, **settings: Any) -> dict[str, Any]:
    """A deploy template of one BIOS step."""
    return {
        "name": name,
        "steps": [
            {
                "interface": "bios",
                "step": "apply_configuration",
                "args": {"settings": [{"name": k, "value": v} for k, v in settings.items()]},
                "priority": 100,
            }
        ],
    }


def _failed_create(api: Api, world: dict[str, Any], type_: dict[str, Any]) -> dict[str, Any]:
    """An instance of ``type_`` once its create has failed."""
    created = api.create(type_, world["image"], [{"net_id": world["network"]["uuid"]}])
    assert created.status_code == 201, created.text
    return api.wait_status(created.json()["uuid"], "error", timeout=60)


def _db_type(api: Api, node: str, template: dict[str, Any] = DB_TEMPLATE) -> dict[str, Any]:
    assert api.admin.put(f"/v1/nodes/{node}/traits/{template['name']}").status_code == 204
    assert api.admin.post("/v1/deploy_templates", template).status_code == 201, template
    return api.make_type("db.large", extra_specs={f"trait:{template['name']}": "required"})


def test_a_db_type_gets_its_bios_and_raid_from_the_bmc_and_a_rebuild_applies_them_again(
    start_api: Callable[..., Api], emulator: RedfishEmulator, files: FileServer
):
    api = start_api()
    world = make_world(api, files)
    node = enrol(api, "bmc-4", emulator.driver_info(4))
    db_type = _db_type(api, "bmc-4")
    assert _bios(emulator, 4)["ProcTurboMode"] == "Enabled"

    created = api.create(db_type, world["image"], [{"net_id": world["network"]["uuid"]}])
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active", timeout=60)

    bios = _bios(emulator, 4)
    assert (bios["ProcTurboMode"], bios["QuietBoot"]) == ("Disabled", False)
    assert _pending(emulator, 4) == {}  # taken by the firmware at the boot
    volumes = {v["Name"]: v for v in emulator.volumes_of(4)}
    assert set(volumes) == {"root", "logs"}  # the disk's former volume deleted first
    assert (volumes["root"]["RAIDType"], volumes["root"]["CapacityBytes"]) == ("RAID10", 100 * GIB)
    assert (volumes["logs"]["RAIDType"], volumes["logs"]["CapacityBytes"]) == ("RAID1", 50 * GIB)
    shown = api.admin.get(f"/v1/nodes/{node['uuid']}").json()["configuration"]
    assert shown["bios_settings"] == bios
    assert sorted(d["volume_name"] for d in shown["raid_config"]["logical_disks"]) == [
        "logs",
        "root",
    ]
    assert {d["raid_level"] for d in shown["raid_config"]["logical_disks"]} == {"1+0", "1"}

    # The operator turns turbo back on; the rebuild writes it, the BMC applies it at the boot.
    patched = api.admin.patch(
        "/v1/deploy_templates/CUSTOM_DB_RAID10",
        [{"op": "replace", "path": "/steps/0/args/settings/0/value", "value": "Enabled"}],
    )
    assert patched.status_code == 200, patched.text
    rebuilt = api.put(f"/v1/instances/{uuid}/states/provision", {"target": "rebuild"})
    assert rebuilt.status_code == 202, rebuilt.text
    api.wait_for(
        uuid,
        lambda i: i["status"] == "active" and _bios(emulator, 4)["ProcTurboMode"] == "Enabled",
        what="the rebuild's BIOS",
        timeout=60,
    )
    assert {v["Name"] for v in emulator.volumes_of(4)} == {"root", "logs"}


def test_a_setting_the_bios_does_not_have_fails_the_deploy_naming_it_and_writes_nothing(
    start_api: Callable[..., Api], emulator: RedfishEmulator, files: FileServer
):
    api = start_api()
    world = make_world(api, files)
    enrol(api, "bmc-5", emulator.driver_info(5))
    template = _bios_template("CUSTOM_HT_OFF", LogicalProc="Disabled")
    failed = _failed_create(api, world, _db_type(api, "bmc-5", template))
    message = failed["fault"]["message"]
    assert "deploy step bios.apply_configuration on node" in message, message
    assert "'LogicalProc'" in message, message
    assert _pending(emulator, 5) == {}
    assert _bios(emulator, 5) == _bios(emulator, 6)  # as it came from the factory
    assert not emulator.media(5, "Cd")["Inserted"]  # the failed deploy was undone


def test_a_value_the_registry_refuses_names_the_setting_and_what_it_takes(
    start_api: Callable[..., Api], emulator: RedfishEmulator, files: FileServer
):
    api = start_api()
    world = make_world(api, files)
    enrol(api, "bmc-6", emulator.driver_info(6))
    template = _bios_template("CUSTOM_SATA", EmbeddedSata="Turbo")
    message = _failed_create(api, world, _db_type(api, "bmc-6", template))["fault"]["message"]
    assert "'EmbeddedSata' takes Ata, Ahci, Raid, Off, not 'Turbo'" in message, message
    assert _bios(emulator, 6)["EmbeddedSata"] == "Raid"


def test_the_clean_after_delete_leaves_the_operators_bios_baseline_pending_and_the_raid_kept(
    start_api: Callable[..., Api], emulator: RedfishEmulator, files: FileServer
):
    api = start_api(cleaning__bios_baseline='{"factory": true, "QuietBoot": false}')
    world = make_world(api, files)
    node = enrol(api, "bmc-7", emulator.driver_info(7))
    created = api.create(
        _db_type(api, "bmc-7"), world["image"], [{"net_id": world["network"]["uuid"]}]
    )
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active", timeout=60)
    assert _bios(emulator, 7)["ProcTurboMode"] == "Disabled"

    assert api.delete(f"/v1/instances/{uuid}").status_code == 204
    api.wait_gone(uuid, timeout=60)
    _wait_available(api, node["uuid"])
    # The factory's settings, the operator's over them, for the firmware to take at the boot.
    assert _pending(emulator, 7) == {**FACTORY_BIOS, "QuietBoot": False}
    assert _bios(emulator, 7)["ProcTurboMode"] == "Disabled"  # not booted since
    # The volumes were made afresh (the tenant's data gone), each at its RAID level still.
    volumes = {v["Name"]: v["RAIDType"] for v in emulator.volumes_of(7)}
    assert volumes == {"root": "RAID10", "logs": "RAID1"}
    history = api.admin.get(f"/v1/nodes/{node['uuid']}/history").json()["history"]
    baseline = next(e for e in history[0]["events"] if e["event"] == "bios_baseline")
    assert "the factory settings and QuietBoot=False" in baseline["details"]

    emulator.set_power(7, "On")  # the next boot
    bios = _bios(emulator, 7)
    assert (bios["ProcTurboMode"], bios["QuietBoot"]) == ("Enabled", False)


def _wait_available(api: Api, node_uuid: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        node: dict[str, Any] = api.admin.get(f"/v1/nodes/{node_uuid}").json()
        if node["provision_state"] == "available":
            return node
        time.sleep(0.1)
    raise AssertionError(f"node {node_uuid} not available in 60 s")
