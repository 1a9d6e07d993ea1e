"""Deploy templates (Ironic's ``/v1/deploy_templates``): written only by operators, checked
whole on the way in."""

from __future__ import annotations

from typing import Any

from tests.harness import Api, fault_of, project

RAID10_HT_OFF: dict[str, Any] = {
    "name": "CUSTOM_DB_RAID10",
    "steps": [
        {
            "interface": "bios",
            "step": "apply_configuration",
            "args": {"settings": [{"name": "LogicalProc", "value": "Disabled"}]},
            "priority": 150,
        },
        {
            "interface": "raid",
            "step": "apply_configuration",
            "args": {
                "raid_config": {
                    "logical_disks": [
                        {"size_gb": "MAX", "raid_level": "1+0", "is_root_volume": True}
                    ]
                }
            },
            "priority": 140,
        },
    ],
}


def test_an_operator_writes_reads_changes_and_deletes_a_template(api: Api):
    admin = api.admin
    created = admin.post("/v1/deploy_templates", RAID10_HT_OFF)
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["Location"].endswith(f"/v1/deploy_templates/{body['uuid']}")
    assert body["steps"][1]["args"] == {
        "raid_config": {
            "logical_disks": [{"size_gb": "MAX", "raid_level": "1+0", "is_root_volume": True}]
        },
        "delete_existing": True,
    }
    assert admin.get(f"/v1/deploy_templates/{body['uuid']}").json()["name"] == "CUSTOM_DB_RAID10"
    assert admin.get("/v1/deploy_templates/CUSTOM_DB_RAID10").json()["uuid"] == body["uuid"]
    listed = admin.get("/v1/deploy_templates").json()["deploy_templates"]
    assert [t["name"] for t in listed] == ["CUSTOM_DB_RAID10"]
    assert admin.post("/v1/deploy_templates", RAID10_HT_OFF).status_code == 409

    patched = admin.patch(
        f"/v1/deploy_templates/{body['uuid']}",
        [{"op": "replace", "path": "/steps/0/args/settings/0/value", "value": "Enabled"}],
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["steps"][0]["args"]["settings"] == [
        {"name": "LogicalProc", "value": "Enabled"}
    ]
    broken = admin.patch(
        f"/v1/deploy_templates/{body['uuid']}",
        [{"op": "replace", "path": "/steps/1/step", "value": "reformat_everything"}],
    )
    assert broken.status_code == 400 and "reformat_everything" in fault_of(broken)["faultstring"]
    assert admin.get(f"/v1/deploy_templates/{body['uuid']}").json()["steps"][1]["step"] == (
        "apply_configuration"
    )  # nothing changed
    assert admin.delete("/v1/deploy_templates/CUSTOM_DB_RAID10").status_code == 204
    assert admin.get(f"/v1/deploy_templates/{body['uuid']}").status_code == 404


def _with_step(**changes: Any) -> dict[str, Any]:
    step = {**RAID10_HT_OFF["steps"][0], **changes}
    return {**RAID10_HT_OFF, "steps": [step]}


def test_unknown_steps_settings_and_malformed_templates_are_refused(api: Api):
    cases = [
        ({**RAID10_HT_OFF, "name": "RAID10"}, "name"),  # not a CUSTOM_ trait
        (_with_step(interface="firmware"), "interface"),
        (_with_step(step="flash_everything"), "flash_everything"),
        (_with_step(args={"settings": [{"name": "X", "value": "Y"}], "reboot": True}), "reboot"),
        (_with_step(args={"settings": []}), "settings"),
        (_with_step(args={"settings": [{"name": "X"}]}), "value"),
        (_with_step(priority=0), "priority"),
        (
            _with_step(
                interface="raid",
                args={"raid_config": {"logical_disks": [{"size_gb": 10, "raid_level": "7"}]}},
            ),
            "raid_level",
        ),
        ({**RAID10_HT_OFF, "steps": []}, "steps"),
        ({**RAID10_HT_OFF, "steps": RAID10_HT_OFF["steps"] * 26}, "steps"),
        (
            _with_step(args={"settings": [{"name": f"S{i}", "value": "1"} for i in range(201)]}),
            "settings",
        ),
    ]
    for body, named in cases:
        refused = api.admin.post("/v1/deploy_templates", body)
        assert refused.status_code == 400, (named, refused.text)
        assert named in fault_of(refused)["faultstring"], (named, refused.text)
    assert api.admin.get("/v1/deploy_templates").json()["deploy_templates"] == []


def test_only_operators_see_or_touch_templates(api: Api):
    created = api.admin.post("/v1/deploy_templates", RAID10_HT_OFF).json()
    path = f"/v1/deploy_templates/{created['uuid']}"
    for caller in (api.as_(project("tenant-a")), api.as_(project("tenant-a", "reader"))):
        assert caller.get("/v1/deploy_templates").status_code == 403
        assert caller.get(path).status_code == 403
        assert caller.post("/v1/deploy_templates", RAID10_HT_OFF).status_code == 403
        assert caller.post("/v1/deploy_templates", {"bogus": 1}).status_code == 403
        assert caller.patch(path, [{"op": "remove", "path": "/extra/x"}]).status_code == 403
        assert caller.delete(path).status_code == 403
    assert api.http.get("/v1/deploy_templates").status_code == 401
    assert api.admin.get(path).status_code == 200
