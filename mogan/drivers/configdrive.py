"""The OpenStack config drive: an ISO 9660 image labelled ``config-2``.

It carries ``openstack/latest/meta_data.json`` and ``network_data.json`` (the layout
cloud-init and Glean read), so a deployed machine learns its name, uuid and addresses.
"""

from __future__ import annotations

import io
import ipaddress
import json
from collections.abc import Mapping
from typing import Any

import pycdlib


def meta_data(
    instance_uuid: str, name: str, availability_zone: str | None, extra: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "uuid": instance_uuid,
        "name": name,
        "hostname": name,
        "availability_zone": availability_zone,
        "launch_index": 0,
        "meta": dict(extra),
    }


def network_data(
    network_info: Mapping[str, Any], subnets: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """``network_data.json`` from an instance's ``network_info`` and its subnets."""
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    for port_uuid, port in network_info.items():
        link_id = f"tap{port_uuid[:11]}"
        links.append(
            {
                "id": link_id,
                "type": "phy",
                "ethernet_mac_address": port["mac_address"],
                "mtu": 1500,
                "vif_id": port_uuid,
            }
        )
        for index, fixed in enumerate(port.get("fixed_ips", [])):
            subnet = subnets.get(fixed["subnet_id"], {})
            cidr = subnet.get("cidr")
            version = ipaddress.ip_address(fixed["ip_address"]).version
            entry: dict[str, Any] = {
                "id": f"network{len(networks)}",
                "link": link_id,
                "type": f"ipv{version}",
                "ip_address": fixed["ip_address"],
                "network_id": port["network"],
                "routes": [],
            }
            if cidr:
                entry["netmask"] = (
                    str(ipaddress.ip_network(cidr).netmask)
                    if version == 4
                    else str(ipaddress.ip_network(cidr).prefixlen)
                )
            if subnet.get("gateway_ip") and index == 0:
                entry["routes"].append(
                    {
                        "network": "0.0.0.0" if version == 4 else "::",
                        "netmask": "0.0.0.0" if version == 4 else "0",
                        "gateway": subnet["gateway_ip"],
                    }
                )
            networks.append(entry)
    return {"links": links, "networks": networks, "services": []}


def build_iso(files: Mapping[str, bytes]) -> bytes:
    """An ISO 9660 (Joliet + Rock Ridge) image labelled ``config-2`` holding ``files``.

    ``files`` maps paths such as ``openstack/latest/meta_data.json`` to contents.
    """
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident="config-2")
    made: set[str] = set()
    for path in sorted(files):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            directory = "/".join(parts[:depth])
            if directory not in made:
                made.add(directory)
                iso.add_directory(
                    _iso_name(directory), rr_name=parts[depth - 1], joliet_path="/" + directory
                )
        data = files[path]
        iso.add_fp(
            io.BytesIO(data),
            len(data),
            _iso_name(path) + ";1",
            rr_name=parts[-1],
            joliet_path="/" + path,
        )
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    return out.getvalue()


def _iso_name(path: str) -> str:
    """ISO 9660 level-3 names: upper case, ``[A-Z0-9_]`` only."""
    cleaned = []
    for part in path.split("/"):
        stem, dot, suffix = part.rpartition(".")
        if not dot:
            stem, suffix = part, ""
        stem = "".join(c if c.isalnum() else "_" for c in stem.upper())[:30]
        suffix = "".join(c if c.isalnum() else "_" for c in suffix.upper())[:3]
        cleaned.append(f"{stem}.{suffix}" if suffix else stem)
    return "/" + "/".join(cleaned)


def config_drive(
    instance_uuid: str,
    name: str,
    availability_zone: str | None,
    extra: Mapping[str, str],
    network_info: Mapping[str, Any],
    subnets: Mapping[str, Mapping[str, Any]],
) -> bytes:
    files = {
        "openstack/latest/meta_data.json": json.dumps(
            meta_data(instance_uuid, name, availability_zone, extra)
        ).encode(),
        "openstack/latest/network_data.json": json.dumps(
            network_data(network_info, subnets)
        ).encode(),
    }
    return build_iso(files)
