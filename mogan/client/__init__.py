"""Mogan's Python SDK and CLI (``mogan instance …``, ``openstack baremetal compute …``).

Independent of the server's code: it speaks only the HTTP API.
"""

from mogan.client.api import (
    Client,
    Instance,
    MoganAPIError,
    NotFoundError,
    Resource,
    WaitFailed,
)

__all__ = ["Client", "Instance", "MoganAPIError", "NotFoundError", "Resource", "WaitFailed"]
