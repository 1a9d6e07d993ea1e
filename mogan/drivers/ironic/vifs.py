"""Neutron ports attached to Ironic nodes as VIFs, as Nova's Ironic driver attaches them.

Ironic's network interface then does the binding: ``flat`` and ``neutron`` set the port's
``binding:host_id`` (the node), its MAC (the Ironic port's) and, on an active node or at
deploy, ``binding:profile.local_link_information`` from the Ironic port's
``local_link_connection``; ``noop`` records the VIF and binds nothing. Mogan never writes
the binding of a port it hands to Ironic, so one service owns it.
"""

from __future__ import annotations

from openstack import exceptions as sdk_exceptions

from mogan.drivers import base
from mogan.drivers.ironic.client import IronicClient, translated


class IronicVifs(base.VifInterface):
    def __init__(self, client: IronicClient) -> None:
        self._client = client

    def attach(self, node: base.NodeRef, port_id: str, nic_uuid: str) -> None:
        """``POST /v1/nodes/{node}/vifs`` naming the Ironic port (Mogan's NIC *is* it), so
        the VIF lands on the NIC Mogan claimed rather than one Ironic picks."""
        baremetal = self._client.baremetal
        with translated(self._client, f"VIF attach of port {port_id} to Ironic node {node.name}"):
            try:
                baremetal.attach_vif_to_node(
                    node.uuid, port_id, retry_on_conflict=False, port=nic_uuid
                )
            except sdk_exceptions.ConflictException:
                # A repeated step finds its VIF attached already; anything else is a refusal.
                if port_id not in set(baremetal.list_node_vifs(node.uuid)):
                    raise

    def detach(self, node: base.NodeRef, port_id: str) -> None:
        baremetal = self._client.baremetal
        with translated(self._client, f"VIF detach of port {port_id} from Ironic node {node.name}"):
            baremetal.detach_vif_from_node(node.uuid, port_id, ignore_missing=True)
