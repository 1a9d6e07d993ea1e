"""What an inspection's findings make of a node: its properties and its NICs' port types.

Pure functions over plain data, so the rules are the same whichever driver inspected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A disk smaller than this cannot be the root device (ironic-python-agent's rule).
ROOT_DEVICE_MIN_GB = 4

#: The properties an inspection fills.
INSPECTED_PROPERTIES = ("cpus", "cpu_arch", "cpu_model", "memory_mb", "local_gb", "disks")


@dataclass(frozen=True)
class FoundDisk:
    name: str
    size_gb: int
    type: str | None
    serial: str | None


def root_disk(disks: Sequence[FoundDisk]) -> FoundDisk | None:
    """The disk a deploy would write the image to: the smallest one big enough to be a
    root device, as ironic-python-agent chooses it."""
    fitting = [disk for disk in disks if disk.size_gb >= ROOT_DEVICE_MIN_GB]
    return min(fitting, key=lambda disk: (disk.size_gb, disk.name), default=None)


def found_properties(
    *,
    cpus: int | None,
    cpu_arch: str | None,
    cpu_model: str | None,
    memory_mb: int | None,
    disks: Sequence[FoundDisk],
) -> dict[str, Any]:
    """The properties an inspection's findings give a node (only those it found).

    ``local_gb`` is the root disk's size less 1 GiB, kept free for partitioning as Ironic's
    inspection does, so an instance type's ``root_gb`` never asks for more than fits.
    """
    found: dict[str, Any] = {
        "cpus": cpus,
        "cpu_arch": cpu_arch,
        "cpu_model": cpu_model,
        "memory_mb": memory_mb,
    }
    root = root_disk(disks)
    if root is not None:
        found["local_gb"] = max(root.size_gb - 1, 0)
    if disks:
        found["disks"] = [
            {"name": d.name, "size_gb": d.size_gb, "type": d.type, "serial": d.serial}
            for d in disks
        ]
    return {key: value for key, value in found.items() if value is not None}


def merge_properties(
    current: Mapping[str, Any],
    last_applied: Mapping[str, Any],
    found: Mapping[str, Any],
    *,
    overwrite: bool,
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The node's properties after an inspection, what the inspection wrote, and the keys
    it left alone because an operator had set them by hand.

    A property is the operator's when it holds a value the last inspection did not write
    (or no inspection wrote it); ``overwrite`` replaces those too.
    """
    merged = dict(current)
    applied: dict[str, Any] = {}
    kept: list[str] = []
    for key, value in found.items():
        by_hand = key in current and (key not in last_applied or current[key] != last_applied[key])
        if by_hand and not overwrite and current[key] != value:
            kept.append(key)
            continue
        merged[key] = value
        applied[key] = value
    return merged, applied, kept


def port_type_for(
    speed_mbps: int | None, by_speed: Mapping[str, str], current: str | None, *, overwrite: bool
) -> str | None:
    """The port type of a NIC found at ``speed_mbps``: from the operator's speed → type map
    (``[inspection] port_type_by_speed``) where the NIC has none yet or ``overwrite`` says
    so; otherwise the one it has."""
    mapped = by_speed.get(str(speed_mbps)) if speed_mbps is not None else None
    if mapped is None or (current is not None and not overwrite):
        return current
    return mapped
