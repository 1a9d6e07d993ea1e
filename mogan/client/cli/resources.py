"""Commands for what operators define: types, zones, nodes, images, networks."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from mogan.client.api import Collection, MoganAPIError, Resource
from mogan.client.cli.base import Command, ListCommand, ShowCommand, client_of, failing
from mogan.client.cli.nodes import wait_for_node


def _pairs(resource: Resource) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    keys = tuple(k for k in resource.body if k != "links")
    return keys, tuple(resource.body[k] for k in keys)


class _Kind:
    """Binds a command to one collection of the client."""

    collection: str

    def of(self, cmd: Any) -> Collection:
        collection: Collection = getattr(client_of(cmd), self.collection)
        return collection


class _List(_Kind, ListCommand):
    def take_action(self, parsed: argparse.Namespace) -> Any:
        with failing():
            return self.rows(r.body for r in self.of(self).list())


class _Show(_Kind, ShowCommand):
    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("ident", metavar="NAME_OR_UUID")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        with failing():
            return _pairs(self.of(self).find(parsed.ident))


class _Delete(_Kind, Command):
    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("idents", metavar="NAME_OR_UUID", nargs="+")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> int:
        with failing():
            for ident in parsed.idents:
                self.of(self).delete(self.of(self).find(ident).uuid)
        return 0


# -- types ------------------------------------------------------------------------------------


class ListTypes(_List):
    """List instance types."""

    collection = "types"
    columns = ("uuid", "name", "is_public", "description")


class ShowType(_Show):
    """Show an instance type."""

    collection = "types"


class DeleteType(_Delete):
    """Delete instance types (admin)."""

    collection = "types"


class CreateType(ShowCommand):
    """Create an instance type (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="NAME")
        parser.add_argument("--description")
        parser.add_argument("--private", action="store_true", help="only for listed projects")
        parser.add_argument(
            "--resource-class", help="nodes of this resource class (sets resources:CUSTOM_…=1)"
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        body: dict[str, Any] = {"name": parsed.name, "is_public": not parsed.private}
        if parsed.description:
            body["description"] = parsed.description
        with failing():
            created = client.types.create(body)
            if parsed.resource_class:
                trait = "CUSTOM_" + "".join(
                    c if c.isalnum() else "_" for c in parsed.resource_class.upper()
                )
                client.request(
                    "PATCH", f"/v1/types/{created.uuid}/extraspecs", {f"resources:{trait}": "1"}
                )
            return _pairs(client.types.get(created.uuid))


# -- deploy templates -------------------------------------------------------------------------


class ListDeployTemplates(_List):
    """List deploy templates (admin)."""

    collection = "deploy_templates"
    columns = ("uuid", "name")


class ShowDeployTemplate(_Show):
    """Show a deploy template and its steps (admin)."""

    collection = "deploy_templates"


class DeleteDeployTemplate(_Delete):
    """Delete deploy templates (admin)."""

    collection = "deploy_templates"


class CreateDeployTemplate(ShowCommand):
    """Create a deploy template (admin): BIOS and RAID steps a type asks for by requiring the
    trait NAME, as with Ironic's ``baremetal deploy template create``."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="NAME", help="the trait, e.g. CUSTOM_DB_RAID10")
        parser.add_argument(
            "--steps",
            required=True,
            help="the steps as JSON ([{interface, step, args, priority}, …]), a file holding "
            "them, or '-' to read them from standard input",
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        steps = _json_argument(parsed.steps, "--steps")
        with failing():
            created = client_of(self).deploy_templates.create({"name": parsed.name, "steps": steps})
        return _pairs(created)


def _json_argument(value: str, option: str) -> Any:
    """JSON given inline, in a file, or on standard input (``-``)."""
    if value == "-":
        text = sys.stdin.read()
    elif os.path.isfile(value):
        with open(value, encoding="utf-8") as handle:
            text = handle.read()
    else:
        text = value
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SystemExit(f"{option} is neither JSON nor a file of JSON: {exc}") from None


# -- zones ------------------------------------------------------------------------------------


class ListZones(ListCommand):
    """List availability zones."""

    columns = ("name",)

    def take_action(self, parsed: argparse.Namespace) -> Any:
        with failing():
            zones = client_of(self).availability_zones()
        return ("Name",), [(zone,) for zone in zones]


# -- nodes ------------------------------------------------------------------------------------


class ListNodes(_List):
    """List nodes (admin)."""

    collection = "nodes"
    columns = (
        "uuid",
        "name",
        "driver",
        "provision_state",
        "instance_uuid",
        "power_state",
        "maintenance",
    )


class ShowNode(_Show):
    """Show a node (admin)."""

    collection = "nodes"


class DeleteNode(_Delete):
    """Delete nodes (admin)."""

    collection = "nodes"


class SyncNodes(Command):
    """Sync the nodes of Ironic now (admin)."""

    def take_action(self, parsed: argparse.Namespace) -> int:
        with failing():
            result = client_of(self).nodes.sync()
            if result["result"] != "success":
                raise MoganAPIError(0, f"the sync failed: {result['message']}", None)
        for key in ("added", "updated", "removed", "repaired"):
            self.app.stdout.write(f"{key}: {len(result[key])}\n")
        for orphan in result["orphans"]:
            self.app.stdout.write(f"orphan {orphan['node_uuid']}: {orphan['message']}\n")
        return 0


class CreateNode(ShowCommand):
    """Enrol a node (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="NAME")
        parser.add_argument("--driver", required=True, help="fake or redfish")
        parser.add_argument("--driver-info", action="append", default=[], metavar="KEY=VALUE")
        parser.add_argument("--property", action="append", default=[], metavar="KEY=VALUE")
        parser.add_argument("--resource-class")
        parser.add_argument("--zone")
        parser.add_argument("--nic", action="append", default=[], metavar="MAC[,port_type=TYPE]")
        parser.add_argument("--owner", metavar="PROJECT_ID", help="dedicate it to a project")
        parser.add_argument("--lessee", metavar="PROJECT_ID", help="lend it to a project")
        parser.add_argument(
            "--inspect", action="store_true", help="inspect it before it is made available"
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="wait until its BMC was checked (and it was inspected); fail if it was not",
        )
        parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        nics = []
        for nic in parsed.nic:
            mac, *options = nic.split(",")
            entry = {"mac_address": mac}
            entry.update(option.split("=", 1) for option in options)
            nics.append(entry)
        body: dict[str, Any] = {
            "name": parsed.name,
            "driver": parsed.driver,
            "driver_info": dict(i.split("=", 1) for i in parsed.driver_info),
            "properties": {
                k: int(v) if v.isdigit() else v
                for k, v in (p.split("=", 1) for p in parsed.property)
            },
            "nics": nics,
        }
        if parsed.resource_class:
            body["resource_class"] = parsed.resource_class
        if parsed.zone:
            body["availability_zone"] = parsed.zone
        for field in ("owner", "lessee"):
            if getattr(parsed, field):
                body[field] = getattr(parsed, field)
        if parsed.inspect:
            body["inspect"] = True
        with failing():
            client = client_of(self)
            created = client.nodes.create(body)
            if not parsed.wait:
                return _pairs(created)
            node = wait_for_node(client, created.body["uuid"], parsed.timeout)
            if node["provision_state"] not in ("available",):
                reason = node["last_error"] or node["maintenance_reason"]
                raise MoganAPIError(
                    0, f"node {parsed.name} is {node['provision_state']!r}: {reason}", None
                )
            return _pairs(client.nodes.get(node["uuid"]))


# -- images -----------------------------------------------------------------------------------


class ListImages(_List):
    """List images."""

    collection = "images"
    columns = ("uuid", "name", "disk_format", "url")


class ShowImage(_Show):
    """Show an image."""

    collection = "images"


class DeleteImage(_Delete):
    """Delete images (admin)."""

    collection = "images"


class CreateImage(ShowCommand):
    """Register an image (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="NAME")
        parser.add_argument("--url", required=True, help="where the nodes fetch it from")
        parser.add_argument("--disk-format", required=True, choices=["raw", "qcow2", "iso"])
        parser.add_argument("--checksum", help="e.g. sha256:…")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        body = {"name": parsed.name, "url": parsed.url, "disk_format": parsed.disk_format}
        if parsed.checksum:
            body["checksum"] = parsed.checksum
        with failing():
            return _pairs(client_of(self).images.create(body))


# -- networks ---------------------------------------------------------------------------------


class ListNetworks(_List):
    """List networks."""

    collection = "networks"
    columns = ("uuid", "name")


class ShowNetwork(_Show):
    """Show a network and its subnets."""

    collection = "networks"


class DeleteNetwork(_Delete):
    """Delete networks (admin)."""

    collection = "networks"


class CreateNetwork(ShowCommand):
    """Create a network with a subnet (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="NAME")
        parser.add_argument("--subnet", required=True, action="append", metavar="CIDR")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        body = {"name": parsed.name, "subnets": [{"cidr": cidr} for cidr in parsed.subnet]}
        with failing():
            return _pairs(client_of(self).networks.create(body))
