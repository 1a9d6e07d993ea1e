"""The whole life of an instance on a Redfish BMC, through a real ``mogan serve`` process."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.functional.process import MoganProcess
from tests.harness import Api
from tests.peers.redfish import PASSWORD, FileServer, RedfishEmulator, read_config_drive
from tests.redfish.conftest import enrol

pytestmark = pytest.mark.functional


def _serve(tmp_path: Path, url: str, files: FileServer, **engine: Any) -> MoganProcess:
    return MoganProcess(
        tmp_path,
        url,
        redfish={
            "configdrive_dir": files.directory / "configdrive",
            "configdrive_url": f"{files.url}/configdrive",
            "poll_interval": 0.1,
            "power_state_timeout": 60,
            "read_timeout": 5,
        },
        engine={"power_poll_interval": 0.1, "power_state_timeout": 60, **engine},
    ).start()


def _emulated_power(emulator: RedfishEmulator, index: int) -> str:
    return str(emulator.system(index)["PowerState"])


def test_full_life_on_a_redfish_node(fresh_url: str, tmp_path: Path):
    with FileServer(tmp_path / "www") as files:
        emulator = RedfishEmulator(tmp_path, systems=20, fast=True).start()
        mogan = _serve(tmp_path, fresh_url, files)
        try:
            with httpx.Client(base_url=mogan.url, timeout=60) as client:
                api = Api(client)
                nodes = [enrol(api, f"rack-{i}", emulator.driver_info(i)) for i in range(3)]
                image_url = files.add_iso("ubuntu-live.iso")
                image = api.admin.post(
                    "/v1/images", {"name": "live", "url": image_url, "disk_format": "iso"}
                ).json()
                network = api.make_network(cidr="192.168.10.0/24")
                keypair = api.post("/v1/keypairs", {"name": "ops"}).json()
                created = api.create(
                    api.make_type(),
                    image,
                    [{"net_id": network["uuid"]}],
                    name="db-1",
                    extra={"role": "db"},
                    metadata={"role": "db"},
                    key_name="ops",
                    user_data=base64.b64encode(b"#cloud-config\n").decode(),
                ).json()
                active = api.wait_status(created["uuid"], "active", timeout=60)
                assert active["power_state"] == "power on"
                assert active["config_drive"] is True
                (node,) = [
                    n
                    for n in api.admin.get("/v1/nodes").json()["nodes"]
                    if n["instance_uuid"] == created["uuid"]
                ]
                index = [n["uuid"] for n in nodes].index(node["uuid"])

                # What the BMC shows: the image in the virtual CD, boot from CD, power on.
                system = emulator.system(index)
                assert system["PowerState"] == "On"
                assert system["Boot"]["BootSourceOverrideTarget"] == "Cd"
                cd = emulator.media(index, "Cd")
                assert cd["Inserted"] and cd["Image"] == image_url
                drive = emulator.media(index, "Floppy")
                assert drive["Inserted"] and "configdrive" in drive["Image"]
                # Its URL gives nothing away: not the instance, and not guessable.
                served = drive["Image"].rsplit("/", 1)[-1]
                assert created["uuid"] not in served and len(served) >= len("configdrive-.iso") + 43
                config = read_config_drive(drive["Image"])
                assert config["meta_data.json"]["uuid"] == created["uuid"]
                assert config["meta_data.json"]["meta"] == {"role": "db"}
                assert config["meta_data.json"]["public_keys"] == {"ops": keypair["public_key"]}
                assert config["user_data"] == b"#cloud-config\n"
                (port,) = active["network_info"].values()
                assert (
                    config["network_data.json"]["networks"][0]["ip_address"]
                    == port["fixed_ips"][0]["ip_address"]
                )
                assert (
                    config["network_data.json"]["links"][0]["ethernet_mac_address"]
                    == port["mac_address"]
                )

                # Power, observed on the BMC.
                for target, observed, bmc in (
                    ("off", "power off", "Off"),
                    ("on", "power on", "On"),
                    ("reboot", "power on", "On"),
                    ("soft_off", "power off", "Off"),
                ):
                    response = api.put(
                        f"/v1/instances/{created['uuid']}/states/power", {"target": target}
                    )
                    assert response.status_code == 202
                    api.wait_for(
                        created["uuid"],
                        lambda i, o=observed: (
                            i["power_state"] == o
                            and api.get(f"/v1/instances/{i['uuid']}/states").json()[
                                "target_power_state"
                            ]
                            is None
                        ),
                        timeout=60,
                    )
                    assert _emulated_power(emulator, index) == bmc

                # Rebuild from another ISO: the same node and address, the new image in the
                # CD, a new config drive beside it, booted from CD again.
                rescue_url = files.add_iso("rescue-live.iso")
                rescue = api.admin.post(
                    "/v1/images", {"name": "rescue", "url": rescue_url, "disk_format": "iso"}
                ).json()
                rebuilt = api.put(
                    f"/v1/instances/{created['uuid']}/states/provision",
                    {"target": "rebuild", "image_uuid": rescue["uuid"]},
                )
                assert rebuilt.status_code == 202, rebuilt.text
                again = api.wait_status(created["uuid"], "active", timeout=60)
                assert again["image_uuid"] == rescue["uuid"]
                assert again["network_info"] == active["network_info"]
                assert again["power_state"] == "power on"
                assert emulator.media(index, "Cd")["Image"] == rescue_url
                assert emulator.system(index)["PowerState"] == "On"
                assert emulator.system(index)["Boot"]["BootSourceOverrideTarget"] == "Cd"
                drive = emulator.media(index, "Floppy")
                assert drive["Inserted"]
                config = read_config_drive(drive["Image"])
                assert config["meta_data.json"]["uuid"] == created["uuid"]
                assert config["meta_data.json"]["public_keys"] == {"ops": keypair["public_key"]}
                assert config["user_data"] == b"#cloud-config\n"
                assert len(list((files.directory / "configdrive").iterdir())) == 1
                assert (
                    api.admin.get(f"/v1/nodes/{node['uuid']}").json()["instance_uuid"]
                    == (created["uuid"])
                )

                # Delete: media ejected, powered off, boot back to disk, node free.
                assert api.delete(f"/v1/instances/{created['uuid']}").status_code == 204
                api.wait_gone(created["uuid"], timeout=60)
                assert not emulator.media(index, "Cd")["Inserted"]
                assert not emulator.media(index, "Floppy")["Inserted"]
                assert emulator.system(index)["PowerState"] == "Off"
                assert emulator.system(index)["Boot"]["BootSourceOverrideTarget"] == "Hdd"
                assert api.admin.get(f"/v1/nodes/{node['uuid']}").json()["instance_uuid"] is None
                assert list((files.directory / "configdrive").iterdir()) == []
            assert mogan.stop() == 0
            log = mogan.log_path.read_text()
            assert PASSWORD not in log and "Traceback" not in log
        finally:
            mogan.kill()
            emulator.stop()


@pytest.mark.backends("sqlite")  # the engine's waiting on the BMC, whatever the database
def test_real_bmc_delays_are_waited_for(fresh_url: str, tmp_path: Path):
    """The emulator's unpatched 1-11 s power delays: the engine waits and observes."""
    with FileServer(tmp_path / "www") as files:
        emulator = RedfishEmulator(tmp_path, systems=2, fast=False).start()
        mogan = _serve(tmp_path, fresh_url, files)
        try:
            with httpx.Client(base_url=mogan.url, timeout=60) as client:
                api = Api(client)
                enrol(api, "slow-0", emulator.driver_info(0))
                image = api.admin.post(
                    "/v1/images", {"name": "live", "url": files.add_iso(), "disk_format": "iso"}
                ).json()
                created = api.create(
                    api.make_type(), image, [{"net_id": api.make_network()["uuid"]}]
                ).json()
                # The emulator applies a power change at int(now) + 1..11 s: whatever the draw,
                # an engine that waits for the BMC cannot see "on" before the next whole second.
                requested = time.time()
                api.wait_status(created["uuid"], "active", timeout=60)
                assert time.time() >= int(requested) + 1  # it waited for the BMC
                assert emulator.system(0)["PowerState"] == "On"
                response = api.put(
                    f"/v1/instances/{created['uuid']}/states/power", {"target": "off"}
                )
                assert response.status_code == 202
                states = api.get(f"/v1/instances/{created['uuid']}/states").json()
                assert (states["power_state"], states["target_power_state"]) == (
                    "power on",
                    "power off",
                )
                api.wait_for(created["uuid"], lambda i: i["power_state"] == "power off", timeout=60)
                assert emulator.system(0)["PowerState"] == "Off"
        finally:
            mogan.kill()
            emulator.stop()
