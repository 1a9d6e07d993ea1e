"""Networks and ports from Neutron (``[network] backend = neutron``), as Nova uses them.

Reads made for a caller (networks, a port they name, security groups, floating IPs) carry
the caller's own token, so Neutron decides what the caller may see and use. Ports are made,
bound and deleted as Mogan's service user (the ``[neutron]`` keystoneauth options): setting a
MAC address or ``binding:profile`` is for Neutron's ``service`` role
(``docs/operator-guide.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mogan.cloud.peer import ServicePeer, caller_token
from mogan.core.errors import InvalidInput, NotFound
from mogan.core.networking import (
    MADE,
    OWNER,
    VNIC_BAREMETAL,
    FloatingIpFacts,
    NetworkFacts,
    NewPort,
    PortFacts,
    SubnetFacts,
)

GROUP = "neutron"
#: Ids per ``GET`` filter: a long query string is refused by some proxies.
_IDS_PER_QUERY = 50


class Neutron(ServicePeer):
    """Neutron's v2.0 API (``NetworkCatalog`` and ``PortService``)."""

    name = "Neutron"
    group = GROUP

    # -- reads for a caller --------------------------------------------------------------------

    def networks(
        self, token: str | None, limit: int, marker: str | None
    ) -> tuple[list[NetworkFacts], str | None]:
        params: dict[str, Any] = {
            "limit": limit,
            "sort_key": ["name", "id"],
            "sort_dir": ["asc", "asc"],
        }
        if marker:
            params["marker"] = marker
        with self.answer("networks"):
            body = self._get(token, "/v2.0/networks", params)
        found = [network_facts(n) for n in body.get("networks", [])]
        more = any(link.get("rel") == "next" for link in body.get("networks_links", []))
        return found, (found[-1].uuid if more and found else None)

    def network(self, token: str | None, uuid: str) -> NetworkFacts:
        with self.answer(f"network {uuid}"):
            return network_facts(self._get(token, f"/v2.0/networks/{uuid}")["network"])

    def subnets(self, token: str | None, uuids: Sequence[str]) -> list[SubnetFacts]:
        """The subnets ``uuids`` (with Mogan's credentials when ``token`` is None)."""
        found: list[SubnetFacts] = []
        wanted = sorted(set(uuids))
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            ids = wanted[start : start + _IDS_PER_QUERY]
            with self.answer("subnets"):
                body = self.call("GET", "/v2.0/subnets", token, params={"id": ids}).json()
            found.extend(subnet_facts(s) for s in body.get("subnets", []))
        return found

    def port(self, token: str | None, uuid: str) -> PortFacts:
        with self.answer(f"port {uuid}"):
            return port_facts(self._get(token, f"/v2.0/ports/{uuid}")["port"])

    def security_group(self, token: str | None, name_or_id: str) -> str:
        """The id of the caller's security group named (or with id) ``name_or_id``."""
        with self.answer(f"security group {name_or_id}"):
            body = self._get(token, "/v2.0/security-groups", {"id": name_or_id, "fields": "id"})
            if not body.get("security_groups"):
                body = self._get(
                    token, "/v2.0/security-groups", {"name": name_or_id, "fields": "id"}
                )
        groups = body.get("security_groups", [])
        if len(groups) != 1:
            if groups:
                raise InvalidInput(
                    f"More than one security group is named {name_or_id!r}: give its id."
                )
            raise NotFound(f"Neutron has no security group {name_or_id} (or it is not yours).")
        return str(groups[0]["id"])

    def floating_ip(self, token: str | None, address: str) -> FloatingIpFacts:
        with self.answer(f"floating IP {address}"):
            body = self._get(token, "/v2.0/floatingips", {"floating_ip_address": address})
        found = body.get("floatingips", [])
        if not found:
            raise NotFound(f"Neutron has no floating IP {address} (or it is not yours to use).")
        return floating_facts(found[0])

    def associate(
        self, token: str | None, floating: FloatingIpFacts, port_id: str | None, fixed: str | None
    ) -> FloatingIpFacts:
        """Point ``floating`` at ``port_id`` (its ``fixed`` address), or nowhere (None), as the
        caller."""
        change: dict[str, Any] = {"port_id": port_id}
        if port_id is not None and fixed is not None:
            change["fixed_ip_address"] = fixed
        with self.answer(f"floating IP {floating.address}"):
            body = self.call(
                "PUT",
                f"/v2.0/floatingips/{floating.uuid}",
                caller_token(token, "Floating IPs"),
                json={"floatingip": change},
            ).json()
        return floating_facts(body["floatingip"])

    def floating_ips_of(self, token: str | None, port_ids: Sequence[str]) -> list[FloatingIpFacts]:
        """The floating IPs pointing at ``port_ids`` (as Mogan when ``token`` is None)."""
        if not port_ids:
            return []
        with self.answer("floating IPs"):
            body = self.call(
                "GET", "/v2.0/floatingips", token, params={"port_id": list(port_ids)}
            ).json()
        return [floating_facts(f) for f in body.get("floatingips", [])]

    # -- ports, as Mogan -------------------------------------------------------------------------

    def create_port(self, port: NewPort) -> PortFacts:
        body: dict[str, Any] = {
            "network_id": port.network_uuid,
            "project_id": port.project_id,
            "mac_address": port.mac_address,
            "device_id": port.instance_uuid,
            "device_owner": OWNER,
            "binding:vnic_type": VNIC_BAREMETAL,
            "description": f"{MADE} {port.instance_uuid}: deleted with it.",
        }
        if port.fixed_ip is not None:
            body["fixed_ips"] = [{"ip_address": port.fixed_ip}]
        if port.security_groups is not None:
            body["security_groups"] = list(port.security_groups)
        with self.answer(f"a port on network {port.network_uuid}"):
            made = self.call("POST", "/v2.0/ports", None, json={"port": body}).json()
        return port_facts(made["port"])

    def update_port(self, uuid: str, changes: dict[str, Any]) -> PortFacts:
        with self.answer(f"port {uuid}"):
            body = self.call("PUT", f"/v2.0/ports/{uuid}", None, json={"port": changes}).json()
        return port_facts(body["port"])

    def delete_port(self, uuid: str) -> None:
        """Delete the port; one already gone is no fault."""
        try:
            with self.answer(f"port {uuid}"):
                self.call("DELETE", f"/v2.0/ports/{uuid}", None)
        except NotFound:
            pass

    def ports_of(self, instance_uuid: str | None) -> list[PortFacts]:
        """The ports wired to ``instance_uuid`` (every Mogan instance's when None)."""
        params: dict[str, Any] = {"device_owner": OWNER}
        if instance_uuid is not None:
            params["device_id"] = instance_uuid
        with self.answer("ports"):
            body = self.call("GET", "/v2.0/ports", None, params=params).json()
        return [port_facts(p) for p in body.get("ports", [])]

    # -- plumbing ----------------------------------------------------------------------------

    def _get(self, token: str | None, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.call("GET", path, caller_token(token, "Networks"), params=params or {}).json()


def network_facts(body: dict[str, Any]) -> NetworkFacts:
    return NetworkFacts(
        uuid=str(body["id"]),
        name=str(body.get("name") or ""),
        subnet_uuids=tuple(body.get("subnets") or ()),
        shared=bool(body.get("shared")),
        external=bool(body.get("router:external")),
        project_id=body.get("project_id"),
        status=body.get("status"),
        created_at=body.get("created_at"),
        updated_at=body.get("updated_at"),
    )


def subnet_facts(body: dict[str, Any]) -> SubnetFacts:
    return SubnetFacts(
        uuid=str(body["id"]),
        network_uuid=str(body.get("network_id")),
        cidr=str(body.get("cidr")),
        ip_version=int(body.get("ip_version") or 4),
        gateway_ip=body.get("gateway_ip"),
        allocation_pools=list(body.get("allocation_pools") or []),
    )


def port_facts(body: dict[str, Any]) -> PortFacts:
    return PortFacts(
        uuid=str(body["id"]),
        network_uuid=str(body.get("network_id")),
        mac_address=str(body.get("mac_address") or ""),
        fixed_ips=tuple(
            (str(ip["ip_address"]), str(ip["subnet_id"])) for ip in body.get("fixed_ips") or []
        ),
        project_id=body.get("project_id"),
        device_id=str(body.get("device_id") or ""),
        device_owner=str(body.get("device_owner") or ""),
        host_id=str(body.get("binding:host_id") or ""),
        vif_type=str(body.get("binding:vif_type") or "unbound"),
        status=str(body.get("status") or "DOWN"),
        description=str(body.get("description") or ""),
    )


def floating_facts(body: dict[str, Any]) -> FloatingIpFacts:
    return FloatingIpFacts(
        uuid=str(body["id"]),
        address=str(body.get("floating_ip_address")),
        network_uuid=str(body.get("floating_network_id")),
        project_id=body.get("project_id"),
        port_id=body.get("port_id"),
        fixed_address=body.get("fixed_ip_address"),
    )
