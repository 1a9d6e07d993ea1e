"""The CLI as people run it: ``mogan …`` and ``openstack baremetal compute …`` as
subprocesses, against a real ``mogan serve`` — in noauth mode, and behind a real Keystone.

The CLI speaks only HTTP, so these run on SQLite only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import fresh_database
from tests.functional.conftest import keystone_mogan
from tests.functional.process import MoganProcess, mogan_command
from tests.peers.keystone import Account, KeystoneServer

pytestmark = pytest.mark.functional


#: noauth: the operator names itself as a tenant does (a request naming nobody is refused).
OPERATOR = {"OS_PROJECT_ID": "admin", "OS_USER_ID": "root", "MOGAN_ROLES": "admin"}
#: The same for OpenStackClient with --os-auth-type none (which refuses OS_PROJECT_ID).
OSC_OPERATOR = {"MOGAN_PROJECT_ID": "admin", "MOGAN_USER_ID": "root", "MOGAN_ROLES": "admin"}


class Cli:
    """Runs ``mogan`` (or ``openstack``) with an environment; returns (exit status, output)."""

    def __init__(self, env: dict[str, str], program: list[str] | None = None) -> None:
        self.env = env
        self.program = program or mogan_command()

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "MOGAN_"))}
        return subprocess.run(
            [*self.program, *args],
            env={**clean, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def json(self, *args: str) -> Any:
        done = self(*args, "-f", "json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def openstack_command() -> list[str]:
    return [str(Path(sys.executable).with_name("openstack"))]


@pytest.fixture
def noauth_mogan(tmp_path: Path) -> Iterator[MoganProcess]:
    with fresh_database("sqlite", str(tmp_path)) as url:
        process = MoganProcess(tmp_path, url, DEFAULT={"enabled_drivers": "fake"}).start()
        yield process
        process.kill()


def _operator_setup(admin: Cli, nodes: int) -> None:
    for index in range(nodes):
        done = admin(
            "node", "create", f"rack1-{index}", "--driver", "fake",
            "--property", "cpus=8", "--resource-class", "baremetal", "--zone", "az1",
            "--nic", f"52:54:00:0c:11:{index:02x},port_type=10GE", "--wait",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    for args in (
        ("type", "create", "bm.small", "--resource-class", "baremetal"),
        ("image", "create", "ubuntu", "--url", "http://img/u.qcow2", "--disk-format", "qcow2"),
        ("network", "create", "prod", "--subnet", "10.20.0.0/24"),
    ):
        done = admin(*args)
        assert done.returncode == 0, done.stderr


def test_an_instance_life_with_the_cli_in_noauth_mode(noauth_mogan: MoganProcess):
    admin = Cli({"MOGAN_URL": noauth_mogan.url, **OPERATOR})
    tenant = Cli(
        {"MOGAN_URL": noauth_mogan.url, "OS_PROJECT_ID": "team-a", "MOGAN_ROLES": "member"}
    )
    _operator_setup(admin, 1)
    assert [z["Name"] for z in tenant.json("zone", "list")] == ["az1"]
    # Global options before the command, as "openstack --os-cloud x server list" is typed.
    typed_first = Cli({})(
        "--os-url", noauth_mogan.url, "--os-project-id", "team-a", "--os-roles", "reader",
        "type", "list", "-f", "json",
    )  # fmt: skip
    assert typed_first.returncode == 0, typed_first.stderr
    assert [t["Name"] for t in json.loads(typed_first.stdout)] == ["bm.small"]

    created = tenant.json(
        "instance", "create", "web-1", "--type", "bm.small", "--image", "ubuntu",
        "--network", "prod,port_type=10GE", "--wait",
    )  # fmt: skip
    assert created["status"] == "active"
    assert created["power_state"] == "power on"
    assert created["addresses"].startswith("10.20.0.")
    listed = tenant.json("instance", "list")
    assert [(i["Name"], i["Status"]) for i in listed] == [("web-1", "active")]
    assert Cli({**tenant.env, "OS_PROJECT_ID": "team-b"}).json("instance", "list") == []

    powered = tenant("instance", "power", "off", "web-1", "--wait")
    assert powered.returncode == 0, powered.stderr
    assert "power off" in powered.stderr  # progress is shown while waiting
    shown = tenant.json("instance", "show", created["uuid"])
    assert shown["power_state"] == "power off"
    yaml = tenant("instance", "show", "web-1", "-f", "yaml", "-c", "name", "-c", "status")
    assert yaml.stdout == "name: web-1\nstatus: active\n"

    # Only one node: a second instance ends in error, and --wait says why, with status 1.
    second = tenant(
        "instance", "create", "web-2", "--type", "bm.small", "--image", "ubuntu",
        "--network", "prod", "--wait",
    )  # fmt: skip
    assert second.returncode == 1
    assert "is in error" in second.stderr and "No valid node" in second.stderr

    # Refusals carry the service's words and the request id; bad usage is status 2.
    unknown = tenant("instance", "show", "nope")
    assert unknown.returncode == 1 and "nope" in unknown.stderr
    forbidden = tenant("type", "create", "mine")
    assert forbidden.returncode == 1
    assert "Policy does not allow" in forbidden.stderr and "request req-" in forbidden.stderr
    assert tenant("instance", "list", "--no-such-option").returncode == 2

    deleted = tenant("instance", "delete", "web-1", "web-2", "--wait")
    assert deleted.returncode == 0, deleted.stderr
    assert tenant.json("instance", "list") == []


def test_the_openstackclient_plugin_in_noauth_mode(noauth_mogan: MoganProcess):
    admin = Cli({"MOGAN_URL": noauth_mogan.url, **OPERATOR})
    _operator_setup(admin, 1)
    nobody = Cli(
        {"OS_AUTH_TYPE": "none", "OS_ENDPOINT": noauth_mogan.url}, program=openstack_command()
    )
    refused = nobody("baremetal", "compute", "type", "list")
    assert refused.returncode == 1 and "Authentication required" in refused.stderr
    osc = Cli(
        {
            "OS_AUTH_TYPE": "none",
            "OS_ENDPOINT": noauth_mogan.url,
            "MOGAN_PROJECT_ID": "team-a",
            "MOGAN_ROLES": "member",
        },
        program=openstack_command(),
    )
    types = osc.json("baremetal", "compute", "type", "list")
    assert [t["Name"] for t in types] == ["bm.small"]
    created = osc.json(
        "baremetal", "compute", "instance", "create", "db-1", "--type", "bm.small",
        "--image", "ubuntu", "--network", "prod", "--wait",
    )  # fmt: skip
    assert created["status"] == "active"
    done = osc("baremetal", "compute", "instance", "delete", "db-1", "--wait")
    assert done.returncode == 0, done.stderr


def test_the_cli_authenticates_with_keystone(keystone: KeystoneServer, tmp_path: Path):
    with fresh_database("sqlite", str(tmp_path)) as url:
        mogan = keystone_mogan(tmp_path, url, keystone)
        try:
            keystone.register_endpoint(mogan.url)

            def as_(account: Account, osc: bool = False) -> Cli:
                program = openstack_command() if osc else None
                return Cli(keystone.environment(account), program=program)

            _operator_setup(as_(keystone.ADMIN), 1)
            alice = as_(keystone.ALICE)
            created = alice.json(
                "instance", "create", "app-1", "--type", "bm.small", "--image", "ubuntu",
                "--network", "prod", "--wait",
            )  # fmt: skip
            assert created["project_id"] == keystone.project_ids["project-a"]

            # The reader sees it and may not touch it; the other project sees nothing.
            rita = as_(keystone.RITA)
            assert [i["Name"] for i in rita.json("instance", "list")] == ["app-1"]
            refused = rita("instance", "power", "off", "app-1")
            assert refused.returncode == 1 and "Policy does not allow" in refused.stderr
            assert as_(keystone.BOB).json("instance", "list") == []
            osc_listed = as_(keystone.ALICE, osc=True).json(
                "baremetal", "compute", "instance", "list"
            )
            assert [i["Name"] for i in osc_listed] == ["app-1"]

            wrong = Cli({**keystone.environment(keystone.ALICE), "OS_PASSWORD": "wrong"})
            denied = wrong("instance", "list")
            assert denied.returncode == 1
            assert "401" in denied.stderr or "authenticate" in denied.stderr.lower()
            assert alice("instance", "delete", "app-1", "--wait").returncode == 0
        finally:
            mogan.kill()


def test_key_pairs_with_the_cli(noauth_mogan: MoganProcess, tmp_path: Path):
    user = Cli(
        {
            "MOGAN_URL": noauth_mogan.url,
            "OS_PROJECT_ID": "team-a",
            "OS_USER_ID": "alice",
            "MOGAN_ROLES": "member",
        }
    )
    private = tmp_path / "laptop.pem"
    made = user("keypair", "create", "laptop", "--private-key", str(private), "-f", "json")
    assert made.returncode == 0, made.stderr
    assert "private_key" not in json.loads(made.stdout)
    assert private.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    again = user("keypair", "create", "laptop2", "--private-key", str(private))
    assert again.returncode == 1 and "not overwriting" in again.stderr

    from cryptography.hazmat.primitives import serialization

    key = serialization.load_ssh_private_key(private.read_bytes(), password=None)
    public = tmp_path / "laptop.pub"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        + b" alice@laptop\n"
    )
    imported = user("keypair", "import", "copy", "--public-key", str(public), "-f", "json")
    assert imported.returncode == 0, imported.stderr
    shown = user.json("keypair", "show", "laptop")
    assert shown["fingerprint"] == json.loads(imported.stdout)["fingerprint"]
    assert [k["Name"] for k in user.json("keypair", "list")] == ["copy", "laptop"]
    assert Cli({**user.env, "OS_USER_ID": "bob"}).json("keypair", "list") == []
    deleted = user("keypair", "delete", "laptop", "copy")
    assert deleted.returncode == 0, deleted.stderr
    assert user.json("keypair", "list") == []


def test_an_instance_with_a_key_user_data_and_metadata(noauth_mogan: MoganProcess, tmp_path: Path):
    _operator_setup(Cli({"MOGAN_URL": noauth_mogan.url, **OPERATOR}), 1)
    tenant = Cli(
        {
            "MOGAN_URL": noauth_mogan.url,
            "OS_PROJECT_ID": "team-a",
            "OS_USER_ID": "alice",
            "MOGAN_ROLES": "member",
        }
    )
    key = tmp_path / "k.pem"
    assert tenant("keypair", "create", "k", "--private-key", str(key)).returncode == 0
    cloud_config = tmp_path / "user-data"
    cloud_config.write_bytes(b"#cloud-config\nruncmd: [echo hi]\n")
    created = tenant.json(
        "instance", "create", "web-1", "--type", "bm.small", "--image", "ubuntu",
        "--network", "prod", "--key-name", "k", "--user-data", str(cloud_config),
        "--metadata", "role=web", "--wait",
    )  # fmt: skip
    assert created["status"] == "active"
    assert (created["key_name"], created["metadata"]) == ("k", {"role": "web"})
    assert "user_data" not in created
    locked = tenant.json("instance", "lock", "web-1", "--reason", "payroll")
    assert (locked["locked"], locked["locked_reason"]) == (True, "payroll")
    refused = tenant("instance", "power", "off", "web-1")
    assert refused.returncode == 1 and "locked (payroll)" in refused.stderr
    assert tenant.json("instance", "unlock", "web-1")["locked"] is False
    missing = tenant(
        "instance", "create", "web-2", "--type", "bm.small", "--image", "ubuntu",
        "--network", "prod", "--user-data", str(tmp_path / "absent"),
    )  # fmt: skip
    assert missing.returncode == 1 and "absent" in missing.stderr


def test_tags_rebuild_and_history_with_the_cli(noauth_mogan: MoganProcess):
    admin = Cli({"MOGAN_URL": noauth_mogan.url, **OPERATOR})
    _operator_setup(admin, 2)
    debian = ("image", "create", "debian", "--url", "http://img/d.qcow2", "--disk-format", "qcow2")
    assert admin(*debian).returncode == 0
    tenant = Cli(
        {"MOGAN_URL": noauth_mogan.url, "OS_PROJECT_ID": "team-a", "MOGAN_ROLES": "member"}
    )
    created = tenant(
        "instance", "create", "web-1", "--type", "bm.small", "--image", "ubuntu",
        "--network", "prod", "--tag", "web", "--tag", "prod", "--wait", "-f", "json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    # --wait shows each step as the engine records it.
    for step in ("schedule success: node host ", "network success", "deploy success"):
        assert step in created.stderr
    uuid = json.loads(created.stdout)["uuid"]
    assert json.loads(created.stdout)["tags"] == "prod, web"

    assert tenant("instance", "tag", "add", "web-1", "eu", "tier-1").returncode == 0
    assert tenant("instance", "tag", "remove", "web-1", "prod").returncode == 0
    tags = [t["Tag"] for t in tenant.json("instance", "tag", "list", "web-1")]
    assert tags == ["eu", "tier-1", "web"]
    assert [i["Name"] for i in tenant.json("instance", "list", "--tag", "eu", "--tag", "web")] == [
        "web-1"
    ]
    assert tenant.json("instance", "list", "--not-any-tag", "eu") == []
    bad = tenant("instance", "tag", "add", "web-1", "a,b")
    assert bad.returncode == 1 and "without '/' or ','" in bad.stderr

    rebuilt = tenant("instance", "rebuild", "web-1", "--image", "debian", "--wait", "-f", "json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuild success: image debian on node host " in rebuilt.stderr  # not the node's name
    assert json.loads(rebuilt.stdout)["status"] == "active"

    rescued = tenant("instance", "rescue", "web-1", "--wait", "-f", "json")
    assert rescued.returncode == 0, rescued.stderr
    assert "rescue success: node host " in rescued.stderr
    shown_rescue = json.loads(rescued.stdout)
    assert shown_rescue["status"] == "rescue" and len(shown_rescue["rescue_password"]) == 16
    refused = tenant("instance", "rebuild", "web-1", "--wait")
    assert refused.returncode == 1 and "rescue" in refused.stderr
    back = tenant("instance", "unrescue", "web-1", "--wait", "-f", "json")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["status"] == "active"
    console = tenant.json("instance", "console", "url", "web-1")
    assert console["url"].startswith("ws://") and "/v1/consoles/serial?token=" in console["url"]

    actions = tenant.json("instance", "action", "list", "web-1")
    assert [a["Action"] for a in actions] == ["unrescue", "rescue", "rebuild", "create"]
    assert all(a["Result"] == "success" for a in actions)
    shown = tenant.json("instance", "action", "show", uuid, actions[3]["Request Id"])
    assert shown["action"] == "create"
    assert "schedule success" in shown["events"] and "deploy success" in shown["events"]

    osc = Cli(
        {"OS_AUTH_TYPE": "none", "OS_ENDPOINT": noauth_mogan.url, **OSC_OPERATOR},
        program=openstack_command(),
    )
    listed = osc.json("baremetal", "compute", "instance", "action", "list", uuid)
    assert [a["Action"] for a in listed] == ["unrescue", "rescue", "rebuild", "create"]


def test_quotas_groups_batches_and_dedicated_nodes_with_the_cli(noauth_mogan: MoganProcess):
    admin = Cli({"MOGAN_URL": noauth_mogan.url, **OPERATOR})
    _operator_setup(admin, 4)
    tenant = Cli(
        {"MOGAN_URL": noauth_mogan.url, "OS_PROJECT_ID": "team-a", "MOGAN_ROLES": "member"}
    )
    limits = admin.json("quota", "set", "team-a", "--instances", "3", "--resource", "CUSTOM_X=1")
    assert (limits["instances"], limits["resources"]) == (3, {"CUSTOM_X": 1})
    assert admin.json("quota", "show", "team-a")["instances"] == 3
    refused = tenant("quota", "set", "team-a", "--instances", "9")
    assert refused.returncode == 1 and "Policy does not allow" in refused.stderr

    group = tenant.json("server", "group", "create", "web", "--policy", "anti-affinity")
    assert group["policy"] == "anti-affinity"
    batch = tenant.json(
        "instance", "create", "web", "--type", "bm.small", "--image", "ubuntu",
        "--network", "prod", "--min", "2", "--max", "5", "--hint", "group=web", "--wait",
    )  # fmt: skip
    assert batch["instances"] == "web-1, web-2, web-3"  # the quota cut it to three
    assert batch["statuses"] == "web-1: active, web-2: active, web-3: active"
    usage = {row["Resource"]: row for row in tenant.json("quota", "usage", "team-a")}
    assert (usage["instances"]["Limit"], usage["instances"]["In Use"]) == (3, 3)
    own = {row["Resource"]: row for row in tenant.json("quota", "usage")}  # the caller's
    assert own == usage
    groups = tenant.json("server", "group", "list")
    assert [(g["Name"], g["Members"]) for g in groups] == [("web", 3)]
    over = tenant(
        "instance", "create", "one-more", "--type", "bm.small", "--image", "ubuntu",
        "--network", "prod",
    )  # fmt: skip
    assert over.returncode == 1 and "Quota exceeded for instances" in over.stderr

    node = admin.json("node", "set", "rack1-3", "--owner", "team-b")
    assert node["owner"] == "team-b"
    assert admin.json("node", "set", "rack1-3", "--no-owner")["owner"] is None
    assert admin("quota", "delete", "team-a").returncode == 0
    assert admin.json("quota", "show", "team-a")["instances"] == -1
    assert tenant("server", "group", "delete", "web").returncode == 0


def test_a_node_lifecycle_with_the_cli(noauth_mogan: MoganProcess):
    admin = Cli({"MOGAN_URL": noauth_mogan.url, **OPERATOR})
    created = admin.json(
        "node", "create", "rack2-0", "--driver", "fake", "--zone", "az1",
        "--driver-info", "fake_clean_latency=0.5", "--inspect", "--wait",
    )  # fmt: skip
    assert created["provision_state"] == "available"  # its BMC checked, then inspected
    inspected = admin.json("node", "inspect", "rack2-0", "--wait")
    assert (inspected["provision_state"], inspected["maintenance"]) == ("available", False)
    inventory = admin.json("node", "inventory", "rack2-0")
    assert inventory["cpus"] == 64 and inventory["memory_mb"] == 262144
    shown = admin.json("node", "show", "rack2-0")
    assert shown["properties"]["local_gb"] == 446
    assert admin("node", "trait", "add", "rack2-0", "CUSTOM_RAID10", "CUSTOM_GPU").returncode == 0
    assert admin("node", "trait", "remove", "rack2-0", "CUSTOM_GPU").returncode == 0
    assert [t["Trait"] for t in admin.json("node", "trait", "list", "rack2-0")] == ["CUSTOM_RAID10"]
    bad = admin("node", "trait", "add", "rack2-0", "lower")
    assert bad.returncode == 1 and "trait" in bad.stderr
    steps = '[{"interface": "bios", "step": "apply_configuration", "priority": 150, '
    steps += '"args": {"settings": [{"name": "LogicalProc", "value": "Disabled"}]}}]'
    made = admin.json("deploy", "template", "create", "CUSTOM_RAID10", "--steps", steps)
    assert made["steps"][0]["args"]["settings"] == [{"name": "LogicalProc", "value": "Disabled"}]
    listed_templates = admin.json("deploy", "template", "list")
    assert [t["Name"] for t in listed_templates] == ["CUSTOM_RAID10"]
    shown_template = admin.json("deploy", "template", "show", "CUSTOM_RAID10")
    assert shown_template["uuid"] == made["uuid"]
    wrong = admin(
        "deploy", "template", "create", "CUSTOM_X", "--steps", steps.replace("bios", "gpu")
    )
    assert wrong.returncode == 1 and "interface" in wrong.stderr, wrong.stderr
    assert admin("deploy", "template", "delete", "CUSTOM_RAID10").returncode == 0
    assert admin.json("deploy", "template", "list") == []
    cleaned = admin.json("node", "clean", "rack2-0", "--mode", "full", "--wait")
    assert cleaned["provision_state"] == "available"
    history = admin.json("node", "history", "rack2-0")
    assert [h["Action"] for h in history] == ["clean", "inspect", "inspect", "verify"]
    assert "erase_disks (success)" in history[0]["Steps"]
    checks = admin.json("node", "validate", "rack2-0")
    assert {c["Interface"]: c["Result"] for c in checks}["power"] is True
    verified = admin.json("node", "verify", "rack2-0", "--wait")
    assert (verified["provision_state"], verified["last_error"]) == ("available", None)

    held = admin("node", "maintenance", "set", "rack2-0", "--reason", "new PSU")
    assert held.returncode == 0, held.stderr
    listed = {n["Name"]: n for n in admin.json("node", "list")}
    assert listed["rack2-0"]["Maintenance"] is True
    assert admin.json("node", "show", "rack2-0")["maintenance_reason"] == "new PSU"
    lifted = admin("node", "maintenance", "unset", "rack2-0")
    assert lifted.returncode == 0, lifted.stderr
    assert admin.json("node", "show", "rack2-0")["maintenance"] is False

    # A failing clean: --wait says why, with status 1; tenants may not ask at all.
    broken = httpx.patch(
        f"{noauth_mogan.url}/v1/nodes/rack2-0",
        json=[{"op": "add", "path": "/driver_info/fake_fail_clean", "value": True}],
        headers={"X-Roles": "admin", "X-Project-Id": "admin"},
    )
    assert broken.status_code == 200, broken.text
    failed = admin("node", "clean", "rack2-0", "--wait")
    assert failed.returncode == 1
    assert "'clean failed'" in failed.stderr and "refused to delete volume" in failed.stderr
    tenant = Cli({**admin.env, "OS_PROJECT_ID": "team-a", "MOGAN_ROLES": "member"})
    refused = tenant("node", "clean", "rack2-0")
    assert refused.returncode == 1 and "Policy does not allow" in refused.stderr
    osc = Cli(
        {"OS_AUTH_TYPE": "none", "OS_ENDPOINT": noauth_mogan.url, **OSC_OPERATOR},
        program=openstack_command(),
    )
    assert osc.json("baremetal", "compute", "node", "inventory", "rack2-0")["cpu_arch"] == "x86_64"
