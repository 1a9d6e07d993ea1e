"""``quota …``, ``server group …`` and ``node set``: sharing the fleet."""

from __future__ import annotations

import argparse
from typing import Any

from mogan.client.cli.base import Command, ListCommand, ShowCommand, client_of, failing

_LIMITS = ("instances", "keypairs", "server_groups", "server_group_members", "nodes")


def _fields(body: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    keys = tuple(k for k in body if k != "links")
    return keys, tuple(body[k] for k in keys)


class ShowQuota(ShowCommand):
    """Show a project's quota limits (admin; -1 is unlimited)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("project", metavar="PROJECT_ID")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        with failing():
            return _fields(client_of(self).quotas.get(parsed.project))


class SetQuota(ShowCommand):
    """Set a project's quota limits (admin); those not named keep theirs."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("project", metavar="PROJECT_ID")
        for name in _LIMITS:
            parser.add_argument(f"--{name.replace('_', '-')}", type=int, metavar="N")
        parser.add_argument(
            "--resource",
            action="append",
            default=[],
            metavar="CUSTOM_CLASS=N",
            help="nodes of one resource class; repeatable",
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        limits: dict[str, Any] = {
            name: getattr(parsed, name) for name in _LIMITS if getattr(parsed, name) is not None
        }
        resources = {}
        for item in parsed.resource:
            key, _, value = item.partition("=")
            if not value.lstrip("-").isdigit():
                raise argparse.ArgumentTypeError(f"expected CUSTOM_CLASS=N, got {item!r}")
            resources[key] = int(value)
        if resources:
            limits["resources"] = resources
        with failing():
            return _fields(client_of(self).quotas.set(parsed.project, **limits))


class DeleteQuota(Command):
    """Reset a project's quota limits to the defaults (admin)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("project", metavar="PROJECT_ID")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> int:
        with failing():
            client_of(self).quotas.reset(parsed.project)
        return 0


class QuotaUsage(ListCommand):
    """Show a project's usage against its limits (by default, your own project's)."""

    columns = ("resource", "limit", "in_use")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("project", metavar="PROJECT_ID", nargs="?")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        with failing():
            usage = client_of(self).quotas.usage(parsed.project)
        rows = [{"resource": name, **usage[name]} for name in _LIMITS]
        rows += [{"resource": k, **v} for k, v in usage.get("resources", {}).items()]
        return self.rows(rows)


class CreateServerGroup(ShowCommand):
    """Create a server group."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="NAME")
        parser.add_argument(
            "--policy",
            required=True,
            choices=["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"],
        )
        parser.add_argument(
            "--max-per-host",
            type=int,
            metavar="N",
            help="with anti-affinity: members one failure domain may hold",
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        body: dict[str, Any] = {"name": parsed.name, "policy": parsed.policy}
        if parsed.max_per_host is not None:
            body["rules"] = {"max_server_per_host": parsed.max_per_host}
        with failing():
            return _fields(client_of(self).server_groups.create(body).body)


class ListServerGroups(ListCommand):
    """List server groups."""

    columns = ("uuid", "name", "policy", "members")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--all-projects", action="store_true", help="every project's (admin)")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        filters = {"all_projects": 1} if parsed.all_projects else {}
        with failing():
            found = client_of(self).server_groups.list(**filters)
        return self.rows({**g.body, "members": len(g.body["members"])} for g in found)


class ShowServerGroup(ShowCommand):
    """Show a server group and its members."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("group", metavar="NAME_OR_UUID")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        with failing():
            return _fields(client_of(self).server_groups.find(parsed.group).body)


class DeleteServerGroup(Command):
    """Delete server groups (their members stay where they are)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("groups", metavar="NAME_OR_UUID", nargs="+")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> int:
        groups = client_of(self).server_groups
        with failing():
            for ident in parsed.groups:
                groups.delete(groups.find(ident).uuid)
        return 0


class SetNode(ShowCommand):
    """Change a node (admin): who it is dedicated to, its properties, its maintenance."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("node", metavar="NAME_OR_UUID")
        parser.add_argument("--owner", metavar="PROJECT_ID", help="dedicate it to a project")
        parser.add_argument("--lessee", metavar="PROJECT_ID", help="lend it to a project")
        parser.add_argument("--no-owner", action="store_true", help="back to the shared pool")
        parser.add_argument("--no-lessee", action="store_true")
        parser.add_argument("--property", action="append", default=[], metavar="KEY=VALUE")
        parser.add_argument("--maintenance", metavar="REASON", help="put it in maintenance")
        parser.add_argument("--no-maintenance", action="store_true")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        patch: list[dict[str, Any]] = []
        for field, value, clear in (
            ("owner", parsed.owner, parsed.no_owner),
            ("lessee", parsed.lessee, parsed.no_lessee),
        ):
            if clear or value is not None:
                patch.append(
                    {"op": "replace", "path": f"/{field}", "value": None if clear else value}
                )
        for item in parsed.property:
            key, _, value = item.partition("=")
            patch.append({"op": "add", "path": f"/properties/{key}", "value": value})
        if parsed.maintenance is not None:
            patch.append({"op": "replace", "path": "/maintenance", "value": True})
            patch.append(
                {"op": "replace", "path": "/maintenance_reason", "value": parsed.maintenance}
            )
        if parsed.no_maintenance:
            patch.append({"op": "replace", "path": "/maintenance", "value": False})
        nodes = client_of(self).nodes
        with failing():
            node = nodes.find(parsed.node)
            if patch:
                node = nodes.update(node.uuid, patch)
        return _fields(node.body)
