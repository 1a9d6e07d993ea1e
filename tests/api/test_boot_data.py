"""What a tenant gives an instance at create reaches the machine, as cloud-init reads it.

The fake driver keeps the config drive documents it gave the machine; the test lays them out
and builds the ISO exactly as the Redfish and Ironic drivers do (``configdrive.layout`` and
``build_iso``), extracts it with pycdlib and hands the folder to cloud-init's own
``ConfigDriveReader`` (Debian's ``cloud-init``, which ``.ci/run`` installs, run by Debian's
Python). If cloud-init cannot read it, the test fails saying why: it is never skipped.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pycdlib
import pytest

from mogan.db.fake_hardware import DatabaseHardwareStore
from mogan.drivers import configdrive
from mogan.root import Mogan
from tests.harness import Api, fault_of

# What a config drive holds is built from the instance, whatever database it came from.
pytestmark = pytest.mark.backends("sqlite")

#: Debian's Python, with Debian's cloud-init: the reader runs there, in a process of its own,
#: so that its packages (pyOpenSSL…) never mix with this virtualenv's.
SYSTEM_PYTHON = "/usr/bin/python3"
_READ = """
import base64, json, sys
from cloudinit.sources.helpers.openstack import ConfigDriveReader
found = ConfigDriveReader(sys.argv[1]).read_v2()
found["userdata"] = base64.b64encode(found.get("userdata") or b"").decode()
print(json.dumps(found, default=str))
"""


def _read_with_cloud_init(folder: Path) -> dict[str, Any]:
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", _READ, str(folder)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, (
        "cloud-init's ConfigDriveReader could not read the drive (is Debian's cloud-init "
        f"installed? apt-get install -y cloud-init): {done.stderr[-2000:]}"
    )
    found: dict[str, Any] = json.loads(done.stdout)
    found["userdata"] = base64.b64decode(found["userdata"])
    return found


def _extract(iso: bytes, into: Path) -> None:
    image = pycdlib.PyCdlib()
    image.open_fp(io.BytesIO(iso))
    assert image.get_record(rr_path="/").file_identifier()  # a readable ISO 9660
    volume = image.pvd.volume_identifier.decode().strip()
    assert volume == "config-2"
    for directory, _dirs, files in image.walk(rr_path="/"):
        for name in files:
            path = f"{directory.rstrip('/')}/{name}"
            target = into / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            out = io.BytesIO()
            image.get_file_from_iso_fp(out, rr_path=path)
            target.write_bytes(out.getvalue())
    image.close()


def test_keys_user_data_and_metadata_reach_cloud_init(
    api: Api, fleet, mogan: Mogan, tmp_path: Path
):
    keypair = api.post("/v1/keypairs", {"name": "laptop"}).json()
    user_data = bytes(range(256)) + b"#cloud-config\nruncmd: [touch /done]\n"
    created = api.create(
        fleet["type"],
        fleet["image"],
        [{"net_id": fleet["network"]["uuid"]}],
        name="Web 1",
        key_name="laptop",
        user_data=base64.b64encode(user_data).decode(),
        metadata={"role": "web"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["key_name"], body["metadata"]) == ("laptop", {"role": "web"})
    assert "user_data" not in body  # never shown back
    active = api.wait_status(body["uuid"], "active")
    assert "user_data" not in active and "user_data" not in api.get("/v1/instances/detail").text

    node = next(n for n in api.admin.get("/v1/nodes").json()["nodes"] if n["instance_uuid"])
    machine = DatabaseHardwareStore(mogan.db).load(node["uuid"])
    assert machine.config_drive is not None
    documents = {k: base64.b64decode(v) for k, v in machine.config_drive.items()}
    _extract(configdrive.build_iso(configdrive.layout(documents)), tmp_path)

    found = _read_with_cloud_init(tmp_path)
    meta = found["metadata"]
    assert meta["uuid"] == body["uuid"]
    assert meta["hostname"] == "web-1"
    assert meta["public_keys"] == {"laptop": keypair["public_key"]}
    assert meta["meta"] == {"role": "web"}
    assert meta["project_id"] == "tenant-a"
    assert found["userdata"] == user_data  # byte for byte
    (port,) = active["network_info"].values()
    networks = found["networkdata"]["networks"]
    assert [n["ip_address"] for n in networks] == [port["fixed_ips"][0]["ip_address"]]
    assert found["networkdata"]["links"][0]["ethernet_mac_address"] == port["mac_address"]
    assert networks[0]["routes"][0]["gateway"] == fleet["network"]["subnets"][0]["gateway_ip"]


def test_bad_boot_data_is_refused_and_nothing_is_created(api: Api, fleet):
    too_big = base64.b64encode(b"x" * 65537).decode()
    for extra, field in [
        ({"key_name": "nobody-has-this"}, "key_name"),
        ({"user_data": "not base64!"}, "user_data"),
        ({"user_data": too_big}, "user_data"),
        ({"metadata": {"k": 1}}, "metadata"),
        ({"metadata": {f"k{i}": "v" for i in range(129)}}, "metadata"),
    ]:
        response = api.create(
            fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], **extra
        )
        assert response.status_code == 400, (extra, response.text)
        assert field in fault_of(response)["faultstring"]
    assert api.admin.get("/v1/instances?all_tenants=1").json()["instances"] == []


def test_another_users_key_pair_cannot_be_given(api: Api, fleet):
    assert (
        api.as_({"X-Project-Id": "tenant-a", "X-User-Id": "bob", "X-Roles": "member"})
        .post("/v1/keypairs", {"name": "bobs"})
        .status_code
        == 201
    )
    response = api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], key_name="bobs"
    )
    assert response.status_code == 400 and "key_name" in fault_of(response)["faultstring"]
