"""Deploy templates applied by the fake driver: a type that requires a template's trait gets
its BIOS and RAID steps at deploy and rebuild; what the machine then holds is read from the
simulated machine (what a BMC would report), and the node shows it."""

from __future__ import annotations

import time
from typing import Any

from mogan.db.fake_hardware import DatabaseHardwareStore
from tests.api.test_deploy_templates import RAID10_HT_OFF
from tests.harness import Api


def _node_of(api: Api, uuid: str) -> dict[str, Any]:
    nodes = api.admin.get("/v1/nodes").json()["nodes"]
    return dict(next(n for n in nodes if n["instance_uuid"] == uuid))


def test_a_raid10_ht_off_type_configures_its_node_at_deploy_and_rebuild(mogan, api: Api):
    api.enrol("plain")
    api.enrol("db-1")
    assert api.admin.put("/v1/nodes/db-1/traits/CUSTOM_DB_RAID10").status_code == 204
    assert api.admin.post("/v1/deploy_templates", RAID10_HT_OFF).status_code == 201
    db_type = api.make_type("db.large", extra_specs={"trait:CUSTOM_DB_RAID10": "required"})
    created = api.create(db_type, api.make_image(), [{"net_id": api.make_network()["uuid"]}])
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active")
    node = _node_of(api, uuid)
    assert node["name"] == "db-1"

    machine = DatabaseHardwareStore(mogan.db).load(node["uuid"])
    assert machine.bios_settings == {"LogicalProc": "Disabled"}
    assert machine.raid_config == {
        "logical_disks": [{"size_gb": "MAX", "raid_level": "1+0", "is_root_volume": True}]
    }
    shown = api.admin.get(f"/v1/nodes/{node['uuid']}").json()["configuration"]
    assert shown["bios_settings"] == machine.bios_settings
    assert shown["raid_config"] == machine.raid_config
    assert shown["applied_steps"] == ["bios.apply_configuration", "raid.apply_configuration"]
    assert "configuration" not in api.admin.get("/v1/nodes/plain").json()

    # The operator turns hyper-threading back on in the template; a rebuild applies it again.
    patched = api.admin.patch(
        "/v1/deploy_templates/CUSTOM_DB_RAID10",
        [{"op": "replace", "path": "/steps/0/args/settings/0/value", "value": "Enabled"}],
    )
    assert patched.status_code == 200, patched.text
    rebuilt = api.put(f"/v1/instances/{uuid}/states/provision", {"target": "rebuild"})
    assert rebuilt.status_code == 202, rebuilt.text
    api.wait_for(
        uuid,
        lambda i: (
            i["status"] == "active"
            and DatabaseHardwareStore(mogan.db).load(node["uuid"]).bios_settings
            == {"LogicalProc": "Enabled"}
        ),
        what="the rebuild's BIOS",
    )


def test_a_setting_the_node_does_not_have_fails_the_deploy_naming_it(mogan, api: Api):
    api.enrol("odd", driver_info={"fake_bios_registry": {"ProcTurboMode": None}})
    assert api.admin.put("/v1/nodes/odd/traits/CUSTOM_DB_RAID10").status_code == 204
    assert api.admin.post("/v1/deploy_templates", RAID10_HT_OFF).status_code == 201
    db_type = api.make_type("db.large", extra_specs={"trait:CUSTOM_DB_RAID10": "required"})
    created = api.create(db_type, api.make_image(), [{"net_id": api.make_network()["uuid"]}])
    failed = api.wait_status(created.json()["uuid"], "error")
    message = failed["fault"]["message"]
    assert "bios.apply_configuration" in message and "'LogicalProc'" in message, message
    node = api.admin.get("/v1/nodes/odd").json()
    assert "configuration" not in node
    machine = DatabaseHardwareStore(mogan.db).load(node["uuid"])
    assert machine.bios_settings is None and machine.deployed_instance is None


def test_the_clean_after_delete_returns_the_bios_to_the_operators_baseline(mogan_factory, api_for):
    mogan = mogan_factory(cleaning__bios_baseline="factory")
    api = api_for(mogan)
    node = api.enrol("db-1")
    assert api.admin.put("/v1/nodes/db-1/traits/CUSTOM_DB_RAID10").status_code == 204
    assert api.admin.post("/v1/deploy_templates", RAID10_HT_OFF).status_code == 201
    db_type = api.make_type("db.large", extra_specs={"trait:CUSTOM_DB_RAID10": "required"})
    created = api.create(db_type, api.make_image(), [{"net_id": api.make_network()["uuid"]}])
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active")
    store = DatabaseHardwareStore(mogan.db)
    assert store.load(node["uuid"]).bios_settings == {"LogicalProc": "Disabled"}

    assert api.delete(f"/v1/instances/{uuid}").status_code == 204
    api.wait_gone(uuid)
    deadline = time.monotonic() + 20
    while api.admin.get(f"/v1/nodes/{node['uuid']}").json()["provision_state"] != "available":
        assert time.monotonic() < deadline, "the clean after the delete did not end"
        time.sleep(0.05)
    history = api.admin.get(f"/v1/nodes/{node['uuid']}/history").json()["history"]
    assert any(e["event"] == "bios_baseline" for e in history[0]["events"]), history[0]
    assert store.load(node["uuid"]).bios_settings is None
