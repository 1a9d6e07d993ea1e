"""``instance …`` commands (``openstack baremetal compute instance …`` under OSC)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from osc_lib import exceptions as osc_exceptions

from mogan.client.api import ActionEvent, Instance
from mogan.client.cli.base import Command, ListCommand, ShowCommand, client_of, failing

INSTANCE_COLUMNS = (
    "uuid",
    "name",
    "status",
    "power_state",
    "project_id",
    "instance_type_uuid",
    "image_uuid",
    "availability_zone",
    "addresses",
    "description",
    "extra",
    "key_name",
    "metadata",
    "locked",
    "locked_by",
    "locked_reason",
    "tags",
    "fault",
    "created_at",
    "launched_at",
)


def _show(instance: Instance) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    values = {
        **vars(instance),
        "addresses": ", ".join(instance.ip_addresses),
        "fault": instance.fault.message if instance.fault else None,
        "tags": ", ".join(instance.tags),
    }
    return INSTANCE_COLUMNS, tuple(values[c] for c in INSTANCE_COLUMNS)


def _progress(parsed: argparse.Namespace) -> Any:
    def report(instance: Instance) -> None:
        print(
            f"{instance.name}: {instance.status}, {instance.power_state or 'power unknown'}",
            file=sys.stderr,
        )

    return report


def print_event(event: ActionEvent) -> None:
    """A step of the action being waited for, as it is recorded."""
    details = f": {event.details}" if event.details else ""
    print(f"  {event.event} {event.result}{details}", file=sys.stderr)


_NETWORK_FORM = "NET[,port_type=TYPE][,fixed_ip=IP] or port=PORT[,port_type=TYPE]"


def _network(value: str) -> dict[str, str]:
    """``NET[,port_type=TYPE][,fixed_ip=IP]`` → ``{"net_id": …, …}`` (net by name or UUID,
    resolved later); ``port=PORT`` names a Neutron port of the caller's instead."""
    first, *options = value.split(",")
    key, sep, setting = first.partition("=")
    network = {"port_id": setting} if sep and key == "port" else {"net_id": first}
    for option in options:
        key, sep, setting = option.partition("=")
        if not sep or key not in ("port_type", "fixed_ip"):
            raise argparse.ArgumentTypeError(f"expected {_NETWORK_FORM}, got {value!r}")
        network[key] = setting
    return network


def _key_value(value: str) -> tuple[str, str]:
    key, sep, setting = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    return key, setting


class CreateInstance(ShowCommand):
    """Create an instance."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="NAME")
        parser.add_argument("--type", required=True, help="instance type (name or UUID)")
        parser.add_argument("--image", required=True, help="image (name or UUID)")
        parser.add_argument(
            "--network",
            required=True,
            action="append",
            type=_network,
            metavar=_NETWORK_FORM,
            help="a network (name or UUID) to attach, optionally on a NIC of TYPE at a fixed "
            "IP (Neutron), or a Neutron port of yours; repeatable",
        )
        parser.add_argument(
            "--security-group",
            action="append",
            default=[],
            metavar="GROUP",
            help="a Neutron security group of yours (name or UUID) for its ports; repeatable",
        )
        parser.add_argument("--zone", help="availability zone")
        parser.add_argument("--description")
        parser.add_argument(
            "--property", action="append", type=_key_value, default=[], metavar="KEY=VALUE"
        )
        parser.add_argument("--key-name", help="one of your key pairs, for SSH")
        parser.add_argument(
            "--user-data", metavar="FILE", help="user data for cloud-init (at most 64 KiB)"
        )
        parser.add_argument(
            "--metadata", action="append", type=_key_value, default=[], metavar="KEY=VALUE"
        )
        parser.add_argument(
            "--tag", action="append", default=[], metavar="TAG", help="a tag; repeatable"
        )
        parser.add_argument(
            "--hint",
            action="append",
            type=_key_value,
            default=[],
            metavar="KEY=VALUE",
            help="a scheduler hint: group=GROUP (name or UUID), different_host=INSTANCE, "
            "same_host=INSTANCE; repeatable",
        )
        parser.add_argument(
            "--min", type=int, default=1, metavar="N", help="create at least N, or none"
        )
        parser.add_argument(
            "--max", type=int, metavar="N", help="create up to N (named NAME-1 … NAME-N)"
        )
        parser.add_argument(
            "--wait", action="store_true", help="wait until it is active, showing each step"
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        user_data = None
        if parsed.user_data:
            try:
                user_data = Path(parsed.user_data).expanduser().read_bytes()
            except OSError as exc:
                raise osc_exceptions.CommandError(f"{parsed.user_data}: {exc.strerror}") from None
        with failing():
            type_ = client.types.find(parsed.type)
            image = client.images.find(parsed.image)
            networks = [_resolved(client, n) for n in parsed.network]
            create: dict[str, Any] = {
                "instance_type_uuid": type_.uuid,
                "image_uuid": image.uuid,
                "networks": networks,
                "availability_zone": parsed.zone,
                "description": parsed.description,
                "extra": dict(parsed.property),
                "key_name": parsed.key_name,
                "user_data": user_data,
                "metadata": dict(parsed.metadata),
                "tags": parsed.tag,
                "scheduler_hints": _hints(client, parsed.hint),
            }
            if parsed.security_group:
                create["security_groups"] = [{"name": g} for g in parsed.security_group]
            if parsed.max is None and parsed.min == 1:
                instance = client.instances.create(parsed.name, **create)
                if parsed.wait:
                    waited = client.instances.wait(
                        instance.uuid,
                        lambda i: i.status == "active",
                        progress=_progress(parsed),
                        request_id=instance.request_id,
                        on_event=print_event,
                    )
                    instance = waited or instance
                return _show(instance)
            made, reservation = client.instances.create_many(
                parsed.name, min_count=parsed.min, max_count=parsed.max or parsed.min, **create
            )
            if parsed.wait:
                made = [
                    client.instances.wait(
                        i.uuid, lambda i: i.status == "active", progress=_progress(parsed)
                    )
                    or i
                    for i in made
                ]
        return (
            ("reservation_id", "instances", "statuses"),
            (
                reservation,
                ", ".join(i.name for i in made),
                ", ".join(f"{i.name}: {i.status}" for i in made),
            ),
        )


def _resolved(client: Any, network: dict[str, str]) -> dict[str, str]:
    """A ``--network`` with its network's name made its UUID."""
    if "net_id" not in network:
        return network
    return {**network, "net_id": client.networks.find(network["net_id"]).uuid}


def _hints(client: Any, given: list[tuple[str, str]]) -> dict[str, Any]:
    """``--hint`` pairs as the API takes them: a group by name or UUID, instance lists."""
    hints: dict[str, Any] = {}
    for key, value in given:
        if key == "group":
            hints["group"] = client.server_groups.find(value).uuid
        elif key in ("different_host", "same_host"):
            hints.setdefault(key, []).append(client.instances.find(value).uuid)
        else:
            raise osc_exceptions.CommandError(
                f"Unknown hint {key!r}: use group, different_host or same_host."
            )
    return hints


class ListInstances(ListCommand):
    """List instances."""

    columns = ("uuid", "name", "status", "power_state", "addresses")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--all-projects", action="store_true", help="every project's (admin)")
        parser.add_argument("--status", help="only instances in this status")
        parser.add_argument("--name", help="only instances with this name")
        parser.add_argument(
            "--tag", action="append", default=[], metavar="TAG", help="only with every TAG"
        )
        parser.add_argument(
            "--any-tag", action="append", default=[], metavar="TAG", help="only with any TAG"
        )
        parser.add_argument(
            "--not-tag", action="append", default=[], metavar="TAG", help="not with every TAG"
        )
        parser.add_argument(
            "--not-any-tag", action="append", default=[], metavar="TAG", help="with no TAG"
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        tags = {
            "tags": parsed.tag,
            "tags-any": parsed.any_tag,
            "not-tags": parsed.not_tag,
            "not-tags-any": parsed.not_any_tag,
        }
        with failing():
            instances = client_of(self).instances.list(
                all_tenants=parsed.all_projects,
                status=parsed.status,
                name=parsed.name,
                **{name: ",".join(given) for name, given in tags.items() if given},
            )
        return self.rows({**vars(i), "addresses": ", ".join(i.ip_addresses)} for i in instances)


class ShowInstance(ShowCommand):
    """Show an instance (by name or UUID)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        with failing():
            return _show(client_of(self).instances.find(parsed.instance))


class LockInstance(ShowCommand):
    """Lock an instance against changes (power, update, delete) by non-administrators."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument("--reason", help="why, shown with the instance")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            found = client.instances.find(parsed.instance)
            return _show(client.instances.lock(found.uuid, parsed.reason))


class UnlockInstance(ShowCommand):
    """Unlock an instance."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            return _show(client.instances.unlock(client.instances.find(parsed.instance).uuid))


class RebuildInstance(ShowCommand):
    """Redeploy an instance on its node, from another image or its own, keeping its
    addresses."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument("--image", help="the image (name or UUID); default: its own")
        parser.add_argument(
            "--preserve-ephemeral",
            action="store_true",
            help="keep the ephemeral partition, where the deploy has one",
        )
        parser.add_argument(
            "--wait", action="store_true", help="wait until it is active, showing each step"
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            instance = client.instances.find(parsed.instance)
            image = client.images.find(parsed.image).uuid if parsed.image else None
            request_id = client.instances.rebuild(
                instance.uuid, image_uuid=image, preserve_ephemeral=parsed.preserve_ephemeral
            )
            if parsed.wait:
                instance = (
                    client.instances.wait(
                        instance.uuid,
                        lambda i: i.status == "active",
                        progress=_progress(parsed),
                        request_id=request_id,
                        on_event=print_event,
                    )
                    or instance
                )
            else:
                instance = client.instances.get(instance.uuid)
        return _show(instance)


class RescueInstance(ShowCommand):
    """Boot an instance's node into a rescue system, its own disk untouched (prints the
    rescue password once: the one given, or the one Mogan made)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument(
            "--image", help="the rescue image (name or UUID); default: the operator's"
        )
        parser.add_argument(
            "--password",
            help="the rescue system's root password; default: one made for it "
            "(or MOGAN_RESCUE_PASSWORD, which keeps it out of the shell's history)",
        )
        parser.add_argument(
            "--wait", action="store_true", help="wait until it is rescued, showing each step"
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            instance = client.instances.find(parsed.instance)
            image = client.images.find(parsed.image).uuid if parsed.image else None
            password, request_id = client.instances.rescue(
                instance.uuid,
                rescue_password=parsed.password or os.environ.get("MOGAN_RESCUE_PASSWORD"),
                image_uuid=image,
            )
            instance = _wait_for_status(client, parsed, instance, "rescue", request_id)
        columns, values = _show(instance)
        return (*columns, "rescue_password"), (*values, password)


class ConsoleUrl(ShowCommand):
    """A WebSocket URL to an instance's serial console (one connection, within minutes):
    open it with any WebSocket client, e.g. ``websocat``."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            instance = client.instances.find(parsed.instance)
            url = client.instances.console_url(instance.uuid)
        return ("protocol", "type", "url"), ("serial", "websocket", url)


class UnrescueInstance(ShowCommand):
    """Boot a rescued instance's own disk again."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument(
            "--wait", action="store_true", help="wait until it is active, showing each step"
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        client = client_of(self)
        with failing():
            instance = client.instances.find(parsed.instance)
            request_id = client.instances.unrescue(instance.uuid)
            instance = _wait_for_status(client, parsed, instance, "active", request_id)
        return _show(instance)


def _wait_for_status(
    client: Any, parsed: argparse.Namespace, instance: Any, status: str, request_id: str | None
) -> Any:
    """With ``--wait``, the instance once it is ``status`` (failing if it ends elsewhere);
    else as it is now."""
    if not parsed.wait:
        return client.instances.get(instance.uuid)
    return (
        client.instances.wait(
            instance.uuid,
            lambda i: i.status == status,
            progress=_progress(parsed),
            request_id=request_id,
            on_event=print_event,
        )
        or instance
    )


class DeleteInstance(Command):
    """Delete instances (by name or UUID)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instances", metavar="INSTANCE", nargs="+")
        parser.add_argument("--wait", action="store_true", help="wait until they are gone")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> int:
        client = client_of(self)
        with failing():
            found = [client.instances.find(ident) for ident in parsed.instances]
            asked = [client.instances.delete(instance.uuid) for instance in found]
            if parsed.wait:
                for instance, request_id in zip(found, asked, strict=True):
                    client.instances.wait(
                        instance.uuid,
                        lambda _i: False,
                        progress=_progress(parsed),
                        gone_is_done=True,
                        request_id=request_id,
                        on_event=print_event,
                    )
        return 0


class SetInstance(ShowCommand):
    """Rename an instance or change its description or properties."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument("--name")
        parser.add_argument("--description")
        parser.add_argument(
            "--property", action="append", type=_key_value, default=[], metavar="KEY=VALUE"
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> Any:
        patch: list[dict[str, Any]] = []
        if parsed.name:
            patch.append({"op": "replace", "path": "/name", "value": parsed.name})
        if parsed.description is not None:
            patch.append({"op": "replace", "path": "/description", "value": parsed.description})
        for key, value in parsed.property:
            patch.append({"op": "add", "path": f"/extra/{key}", "value": value})
        client = client_of(self)
        with failing():
            instance = client.instances.find(parsed.instance)
            if patch:
                instance = client.instances.update(instance.uuid, patch)
        return _show(instance)


class _Power(Command):
    """Change an instance's power state."""

    target: str
    #: The power state that means the change is done.
    reached: str

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument("--wait", action="store_true", help="wait until it is observed")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> int:
        client = client_of(self)
        with failing():
            instance = client.instances.find(parsed.instance)
            request_id = client.instances.set_power_state(instance.uuid, self.target)
            if parsed.wait:
                client.instances.wait(
                    instance.uuid,
                    lambda i: (
                        i.power_state == self.reached
                        and client.instances.states(i.uuid)["target_power_state"] is None
                    ),
                    progress=_progress(parsed),
                    request_id=request_id,
                    on_event=print_event,
                )
        return 0


class PowerOn(_Power):
    """Power an instance on."""

    target, reached = "on", "power on"


class PowerOff(_Power):
    """Power an instance off."""

    target, reached = "off", "power off"


class SoftPowerOff(_Power):
    """Shut an instance down through its operating system (ACPI)."""

    target, reached = "soft_off", "power off"


class Reboot(_Power):
    """Reboot an instance."""

    target, reached = "reboot", "power on"


class SoftReboot(_Power):
    """Reboot an instance through its operating system (ACPI)."""

    target, reached = "soft_reboot", "power on"


class AddInterface(Command):
    """Put another NIC of an instance's node on a network (or a Neutron port of yours)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument(
            "network", metavar=_NETWORK_FORM, type=_network, help="what the NIC is to serve"
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> None:
        client = client_of(self)
        with failing():
            instance = client.instances.find(parsed.instance)
            client.instances.attach_interface(instance.uuid, **_resolved(client, parsed.network))


class RemoveInterface(Command):
    """Take a port off an instance (its NIC is free again)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument("port", metavar="PORT", help="the port's UUID (network_info)")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> None:
        client = client_of(self)
        with failing():
            instance = client.instances.find(parsed.instance)
            client.instances.detach_interface(instance.uuid, parsed.port)


class AddFloatingIp(Command):
    """Associate a Neutron floating IP of yours with an instance."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument("address", metavar="ADDRESS")
        parser.add_argument(
            "--fixed-address", help="the instance's address it leads to (default: its first)"
        )
        return parser

    def take_action(self, parsed: argparse.Namespace) -> None:
        client = client_of(self)
        with failing():
            instance = client.instances.find(parsed.instance)
            client.instances.add_floating_ip(instance.uuid, parsed.address, parsed.fixed_address)


class RemoveFloatingIp(Command):
    """Disassociate a floating IP from an instance."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("instance", metavar="INSTANCE")
        parser.add_argument("address", metavar="ADDRESS")
        return parser

    def take_action(self, parsed: argparse.Namespace) -> None:
        client = client_of(self)
        with failing():
            instance = client.instances.find(parsed.instance)
            client.instances.remove_floating_ip(instance.uuid, parsed.address)
