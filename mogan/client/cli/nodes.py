"""``node inspect|inventory|clean|history|validate|maintenance set|unset``: a node's own life
(admin)."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from mogan.client.api import Client, MoganAPIError
from mogan.client.cli.base import Command, ListCommand, ShowCommand, client_of, failing

#: States a node is in while an operation works on it.
_BUSY = ("verifying", "inspecting", "cleaning")
#: States an inspection or a clean ends in when it fails.
_FAILED = ("inspect failed", "clean failed")


def wait_for_node(client: Client, ident: str, timeout: float) -> dict[str, Any]:
    """Poll the node until its verification, inspection or clean has ended; its body then."""
    deadline = time.monotonic() + timeout
    while True:
        node = client.nodes.get(ident).body
        if node["provision_state"] not in _BUSY:
            return node
        if time.monotonic() > deadline:
            raise MoganAPIError(0, f"node {ident} is still {node['provision_state']!r}", None)
        time.sleep(1.0)


class _LifecycleCommand(ShowCommand):
    """Start an operation on a node; with ``--wait``, its outcome (failing as it did)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("node", metavar="NAME_OR_UUID")
        parser.add_argument("--wait", action="store_true", help="wait until it has ended")
        parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait")
        return parser

    def start(self, client: Client, uuid: str, parsed: argparse.Namespace) -> dict[str, Any]:
        raise NotImplementedError

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            uuid = client.nodes.find(parsed.node).uuid
            node = self.start(client, uuid, parsed)
            if parsed.wait:
                node = wait_for_node(client, uuid, parsed.timeout)
                if node["provision_state"] in _FAILED:
                    raise MoganAPIError(
                        0,
                        f"node {parsed.node} is {node['provision_state']!r}: "
                        f"{node['maintenance_reason']}",
                        None,
                    )
        keys = ("uuid", "name", "provision_state", "maintenance", "maintenance_reason")
        return keys, tuple(node.get(k) for k in keys)


class InspectNode(_LifecycleCommand):
    """Inspect a node: fill its properties and NICs from what its hardware says (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--overwrite", action="store_true", help="replace values set by hand as well"
        )
        return parser

    def start(self, client: Client, uuid: str, parsed: argparse.Namespace) -> dict[str, Any]:
        return client.nodes.inspect(uuid, overwrite=parsed.overwrite).body


class CleanNode(_LifecycleCommand):
    """Clean a node that serves no instance (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--mode", choices=("metadata", "full"), help="what to wipe (default: the node's own)"
        )
        return parser

    def start(self, client: Client, uuid: str, parsed: argparse.Namespace) -> dict[str, Any]:
        return client.nodes.clean(uuid, mode=parsed.mode).body


class ShowInventory(ShowCommand):
    """What a node's last inspection found (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("node", metavar="NAME_OR_UUID")
        parser.add_argument("--raw", action="store_true", help="the hardware's own report too")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            found = client.nodes.inventory(client.nodes.find(parsed.node).uuid)
        inventory = dict(found["inventory"])
        raw = inventory.pop("raw", None)
        fields = {**inventory, "inspected_at": found["inspected_at"]}
        if parsed.raw:
            fields["raw"] = json.dumps(raw, sort_keys=True)
        return tuple(fields), tuple(fields.values())


class NodeHistory(ListCommand):
    """A node's inspections and cleans, newest first, with their steps (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("node", metavar="NAME_OR_UUID")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            history = client.nodes.history(client.nodes.find(parsed.node).uuid)
        rows = []
        for entry in history:
            steps = "; ".join(
                f"{e['event']} ({e['result']}): {e['details'] or ''}".rstrip(": ")
                for e in entry["events"]
            )
            rows.append(
                (entry["start_time"], entry["action"], entry["result"], entry["message"], steps)
            )
        return ("Started", "Action", "Result", "Message", "Steps"), rows


class VerifyNode(ShowCommand):
    """Check a node's BMC and interfaces again; a node in ``enroll`` becomes available if
    it passes (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("node", metavar="NAME_OR_UUID")
        parser.add_argument("--wait", action="store_true", help="wait until it has ended")
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            uuid = client.nodes.find(parsed.node).uuid
            client.nodes.verify(uuid)
            deadline = time.monotonic() + parsed.timeout
            while parsed.wait:
                (latest, *_) = [e for e in client.nodes.history(uuid) if e["action"] == "verify"]
                if latest["result"] is not None:
                    if latest["result"] != "success":
                        raise MoganAPIError(0, latest["message"] or "verification failed", None)
                    break
                if time.monotonic() > deadline:
                    raise MoganAPIError(0, f"node {parsed.node} is still being verified", None)
                time.sleep(0.5)
            node = client.nodes.get(uuid).body
        keys = ("uuid", "name", "provision_state", "last_error")
        return keys, tuple(node.get(k) for k in keys)


class ValidateNode(ListCommand):
    """What a node's power, management, boot and deploy were last found able to do (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("node", metavar="NAME_OR_UUID")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            checks = client.nodes.validate(client.nodes.find(parsed.node).uuid)
        rows = [(name, check["result"], check["reason"]) for name, check in checks.items()]
        return ("Interface", "Result", "Reason"), rows


class ListTraits(ListCommand):
    """A node's traits (admin); instance types ask for them with trait:NAME=required."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("node", metavar="NAME_OR_UUID")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            found = client.nodes.traits(client.nodes.find(parsed.node).uuid)
        return ("Trait",), [(trait,) for trait in found]


class AddTraits(Command):
    """Give a node traits (admin; Ironic's nodes take theirs in Ironic)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("node", metavar="NAME_OR_UUID")
        parser.add_argument("traits", metavar="TRAIT", nargs="+")
        return parser

    def change(self, client: Client, node_uuid: str, trait: str) -> None:
        client.nodes.add_trait(node_uuid, trait)

    def take_action(self, parsed: argparse.Namespace) -> int:
        client = client_of(self)
        with failing():
            uuid = client.nodes.find(parsed.node).uuid
            for trait in parsed.traits:
                self.change(client, uuid, trait)
        return 0


class RemoveTraits(AddTraits):
    """Take traits off a node (admin)."""

    def change(self, client: Client, node_uuid: str, trait: str) -> None:
        client.nodes.remove_trait(node_uuid, trait)


class SetMaintenance(Command):
    """Put a node in maintenance: nothing new is scheduled onto it (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("node", metavar="NAME_OR_UUID")
        parser.add_argument("--reason", help="why, for the other operators")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> int:
        client = client_of(self)
        with failing():
            client.nodes.set_maintenance(client.nodes.find(parsed.node).uuid, parsed.reason)
        return 0


class UnsetMaintenance(Command):
    """Lift a node's maintenance; a node whose clean failed is cleaned again (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("node", metavar="NAME_OR_UUID")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> int:
        client = client_of(self)
        with failing():
            client.nodes.unset_maintenance(client.nodes.find(parsed.node).uuid)
        return 0
