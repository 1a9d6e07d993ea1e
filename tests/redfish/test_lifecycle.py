"""Inspection and cleaning of Redfish nodes, against sushy-tools' emulator."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.harness import Api
from tests.peers.redfish import FileServer, RedfishEmulator
from tests.redfish.conftest import create, enrol, make_world


def _node(api: Api, ident: str) -> dict[str, Any]:
    return dict(api.admin.get(f"/v1/nodes/{ident}").json())


def _wait(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached in {timeout}s")


def _wait_state(api: Api, ident: str, state: str, timeout: float = 30.0) -> dict[str, Any]:
    return dict(
        _wait(
            f"node {ident} {state}",
            lambda: (node := _node(api, ident))["provision_state"] == state and node,
            timeout,
        )
    )


def test_inspection_reads_what_the_bmc_reports(
    start_api: Callable[..., Api], emulator: RedfishEmulator
):
    api = start_api(inspection__port_type_by_speed="10000:10GE,25000:25GE")
    response = api.admin.post(
        "/v1/nodes",
        {
            "name": "bmc-0",
            "driver": "redfish",
            "driver_info": emulator.driver_info(0),
            "inspect": True,
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["provision_state"] == "verifying"  # its BMC checked, then inspected
    node = _wait_state(api, "bmc-0", "available")
    properties = node["properties"]
    assert {k: properties[k] for k in ("cpus", "cpu_arch", "cpu_model", "memory_mb")} == {
        "cpus": 16,  # two sockets of eight threads
        "cpu_arch": "x86_64",
        "cpu_model": "AMD EPYC 7313P 16-Core Processor",
        "memory_mb": 65536,
    }
    assert properties["local_gb"] == 445  # a 446 GiB drive, less 1 GiB to partition
    assert [(d["name"], d["size_gb"], d["type"]) for d in properties["disks"]] == [
        ("Drive 0", 446, "hdd"),
        ("Drive 1", 446, "hdd"),
    ]
    mac = emulator.systems[0]["nics"][0]["mac"]
    assert [(n["mac_address"], n["speed_mbps"], n["port_type"]) for n in node["nics"]] == [
        (mac, 10000, "10GE")
    ]
    raw = api.admin.get("/v1/nodes/bmc-0/inventory").json()["inventory"]["raw"]
    assert raw["system"]["MemorySummary"]["TotalSystemMemoryGiB"] == 64
    assert [p["Id"] for p in raw["processors"]] == ["CPU0", "CPU1"]
    assert "redfish_password" not in str(raw)


def test_a_bmc_that_fails_inspection_leaves_the_node_in_maintenance(
    api: Api, emulator: RedfishEmulator
):
    node = enrol(api, "bmc-1", emulator.driver_info(1))
    emulator.stop()  # the BMC goes away
    assert api.admin.post(f"/v1/nodes/{node['uuid']}/inspect").status_code == 202
    failed = _wait_state(api, node["uuid"], "inspect failed")
    assert failed["maintenance"] is True
    assert "Inspection of node bmc-1 failed" in failed["maintenance_reason"]


def test_a_full_clean_recreates_the_volumes_and_boots_the_cleaning_image(
    start_api: Callable[..., Api], emulator: RedfishEmulator, files: FileServer
):
    cleaner = files.add_iso("cleaner.iso")
    api = start_api(cleaning__mode="full", redfish__cleaning_iso_url=cleaner, cleaning__timeout=60)
    world = make_world(api, files)
    node = enrol(api, "bmc-2", emulator.driver_info(2))
    before = [(v["Id"], v["Name"], v["CapacityBytes"]) for v in emulator.volumes_of(2)]
    assert before == [("volume-0", "root", 479559942144)]
    uuid = create(api, world)
    api.wait_status(uuid, "active", timeout=60)
    assert api.delete(f"/v1/instances/{uuid}").status_code == 204
    api.wait_gone(uuid, timeout=60)
    assert _node(api, node["uuid"])["provision_state"] == "cleaning"
    # The cleaning image boots from the virtual CD...
    _wait(
        "the cleaning image booted",
        lambda: emulator.media(2)["Image"] == cleaner and emulator.system(2)["PowerState"] == "On",
    )
    assert emulator.system(2)["Boot"]["BootSourceOverrideTarget"] == "Cd"
    assert _node(api, node["uuid"])["provision_state"] == "cleaning"
    # ...wipes the disks, and powers the machine off when done.
    emulator.set_power(2, "ForceOff")
    cleaned = _wait_state(api, node["uuid"], "available", timeout=60)
    assert not cleaned["maintenance"]
    after = [(v["Id"], v["Name"], v["CapacityBytes"]) for v in emulator.volumes_of(2)]
    assert len(after) == 1 and after[0][0] != "volume-0"
    assert after[0][1:] == ("root", 479559942144)
    assert not emulator.media(2)["Inserted"]
    assert emulator.system(2)["Boot"]["BootSourceOverrideTarget"] == "Hdd"
    history = api.admin.get(f"/v1/nodes/{node['uuid']}/history").json()["history"]
    assert [e["event"] for e in history[0]["events"]] == [
        "erase_volumes",
        "boot_cleaning_image",
        "erase_disks",
    ]
    assert "root (446 GiB)" in history[0]["events"][0]["details"]


def test_a_cleaning_image_that_never_finishes_ends_in_clean_failed(
    start_api: Callable[..., Api], emulator: RedfishEmulator, files: FileServer
):
    api = start_api(redfish__cleaning_iso_url=files.add_iso("cleaner.iso"), cleaning__timeout=2)
    node = enrol(api, "bmc-3", emulator.driver_info(3))
    response = api.admin.post(f"/v1/nodes/{node['uuid']}/clean", {"mode": "full"})
    assert response.status_code == 202, response.text
    failed = _wait_state(api, node["uuid"], "clean failed")
    assert failed["maintenance"] is True
    assert "did not power the machine off within 2 s" in failed["maintenance_reason"]
    # The metadata part was done and recorded before the image was waited for.
    history = api.admin.get(f"/v1/nodes/{node['uuid']}/history").json()["history"]
    assert history[0]["result"] == "error"
    assert [e["event"] for e in history[0]["events"]][:2] == [
        "erase_volumes",
        "boot_cleaning_image",
    ]
