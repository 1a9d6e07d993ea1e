"""What a tenant gives an instance at create reaches the machine, as cloud-init reads it.

The fake driver keeps the config drive documents it gave the machine; the test lays them out
and builds the ISO exactly as the Redfish and Ironic drivers do (``configdrive.layout`` and
``build_iso``), extracts it with pycdlib and hands the folder to cloud-init's own
``ConfigDriveReader`` (Debian's ``cloud-init``, which ``.ci/run`` installs). If cloud-init
cannot be imported, the test fails saying so: it is never skipped.
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path
from typing import Any

import pycdlib

from mogan.db.fake_hardware import DatabaseHardwareStore
from mogan.drivers import configdrive
from mogan.root import Mogan
from tests.harness import Api, fault_of

DEBIAN_PYTHON = "/usr/lib/python3/dist-packages"


def _config_drive_reader() -> Any:
    if DEBIAN_PYTHON not in sys.path:
        sys.path.append(DEBIAN_PYTHON)  # last: the virtualenv's packages win
    try:
        from cloudinit.sources.helpers.openstack import ConfigDriveReader
    except ImportError as exc:
        raise AssertionError(
            f"cloud-init's reader is needed (apt-get install -y cloud-init): {exc}"
        ) from exc
    return ConfigDriveReader


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
    reader = _config_drive_reader()
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

    found = reader(str(tmp_path)).read_v2()
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
