"""The OpenStack config drive: an ISO 9660 image labelled ``config-2``.

It carries, under ``openstack/<version>/`` for the dated versions cloud-init and Glean look
for and ``latest``: ``meta_data.json`` (uuid, name, hostname, zone, project, the public key,
launch index, metadata), ``user_data`` (when given, byte for byte), ``network_data.json``
(links by MAC, networks with their addresses and routes) and ``vendor_data.json`` /
``vendor_data2.json`` (empty). So a deployed machine learns who it is, who may log in and how
its network is set up.
"""

from __future__ import annotations

import io
import ipaddress
import json
from collections.abc import Mapping
from typing import Any

from mogan.drivers.base import DeployRequest

#: The dated versions written beside ``latest``: the ones cloud-init looks for in turn.
VERSIONS = (
    "2012-08-10",
    "2013-04-04",
    "2013-10-17",
    "2015-10-15",
    "2016-06-30",
    "2016-10-06",
    "2017-02-22",
    "2018-08-27",
    "latest",
)


def meta_data(request: DeployRequest) -> dict[str, Any]:
    """``meta_data.json`` as Nova writes it."""
    data: dict[str, Any] = {
        "uuid": request.instance_uuid,
        "name": request.instance_name,
        "hostname": _hostname(request.instance_name),
        "availability_zone": request.availability_zone,
        "project_id": request.project_id,
        "launch_index": 0,
        "meta": {**request.extra, **request.metadata},
        "public_keys": {},
        "keys": [],
        "devices": [],
    }
    if request.key_name and request.public_key:
        data["public_keys"] = {request.key_name: request.public_key}
        data["keys"] = [{"name": request.key_name, "type": "ssh", "data": request.public_key}]
    return data


def _hostname(name: str) -> str:
    """An RFC 1123 label from the instance's name, as Nova sanitizes display names."""
    label = "".join(c if c.isalnum() or c == "-" else "-" for c in name.lower()).strip("-")
    return label[:63] or "instance"


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
    # Imported here: only an engine that deploys builds one, and every API worker loads the
    # drivers (for their capabilities and consoles).
    import pycdlib

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


def documents(request: DeployRequest) -> dict[str, bytes]:
    """The instance's config drive documents, by name (``meta_data.json``…), as each version
    folder holds them."""
    found = {
        "meta_data.json": json.dumps(meta_data(request)).encode(),
        "network_data.json": json.dumps(
            network_data(request.network_info, request.subnets)
        ).encode(),
        "vendor_data.json": b"{}",
        "vendor_data2.json": b"{}",
    }
    if request.user_data is not None:
        found["user_data"] = request.user_data
    return found


def layout(documents: Mapping[str, bytes]) -> dict[str, bytes]:
    """Every file of a config drive holding ``documents``, by path: one folder per version."""
    return {
        f"openstack/{version}/{name}": content
        for version in VERSIONS
        for name, content in documents.items()
    }


def config_drive(request: DeployRequest) -> bytes:
    """The instance's config drive, as an ISO 9660 image labelled ``config-2``."""
    return build_iso(layout(documents(request)))
