"""``instance tag …`` and ``instance action …``: an instance's labels and its history."""

from __future__ import annotations

import argparse
from typing import Any

from mogan.client.cli.base import Command, ListCommand, ShowCommand, client_of, failing


class ListTags(ListCommand):
    """List an instance's tags."""

    columns = ("tag",)

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            found = client.instances.tags(client.instances.find(parsed.instance).uuid)
        return self.rows({"tag": tag} for tag in found)


class AddTags(Command):
    """Add tags to an instance."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument("tags", metavar="TAG", nargs="+")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> int:
        client = client_of(self)
        with failing():
            uuid = client.instances.find(parsed.instance).uuid
            for tag in parsed.tags:
                client.instances.add_tag(uuid, tag)
        return 0


class RemoveTags(Command):
    """Remove tags from an instance (every tag with ``--all``)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument("tags", metavar="TAG", nargs="*")
        parser.add_argument("--all", action="store_true", help="remove every tag")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> int:
        client = client_of(self)
        with failing():
            uuid = client.instances.find(parsed.instance).uuid
            if parsed.all:
                client.instances.set_tags(uuid, [])
            for tag in parsed.tags:
                client.instances.remove_tag(uuid, tag)
        return 0


class ListActions(ListCommand):
    """List what was done to an instance, newest first."""

    columns = ("request_id", "action", "start_time", "finish_time", "result", "user_id")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE", help="name or UUID")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            # An operator may read a deleted instance's history: by UUID, as it is gone.
            ident = parsed.instance
            if not _looks_like_uuid(ident):
                ident = client.instances.find(ident).uuid
            found = client.instances.actions(ident)
        return self.rows(vars(action) for action in found)


class ShowAction(ShowCommand):
    """Show one action on an instance, with each step it took."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE", help="name or UUID")
        parser.add_argument("request_id", metavar="REQUEST_ID")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            ident = parsed.instance
            if not _looks_like_uuid(ident):
                ident = client.instances.find(ident).uuid
            action = client.instances.action(ident, parsed.request_id)
        steps = "\n".join(
            f"{e.finish_time} {e.event} {e.result}"
            + (f" [{e.host}]" if e.host else "")
            + (f": {e.details}" if e.details else "")
            for e in action.events
        )
        fields = (
            "request_id",
            "action",
            "instance_uuid",
            "project_id",
            "user_id",
            "start_time",
            "finish_time",
            "result",
            "message",
        )
        return (*fields, "events"), (*(getattr(action, f) for f in fields), steps)


def _looks_like_uuid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4
