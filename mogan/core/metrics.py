"""The process's metrics, in the Prometheus data model (``prometheus_client``).

Defined once here so that every layer counts into the same series; exposing them (``GET
/metrics``) is the API's business. Counting is in memory and costs a lock and an add.
"""

from __future__ import annotations

from prometheus_client import Counter

LEASE_RENEWAL_FAILURES = Counter(
    "mogan_lease_renewal_failures",
    "Heartbeats of an engine that could not renew its leases (the database was unreachable).",
)
LEASES_LOST = Counter(
    "mogan_leases_lost",
    "Operations whose lease an engine lost while running them (another engine may take over).",
)
ORPHAN_PORTS = Counter(
    "mogan_orphan_ports",
    "Neutron ports wired to a Mogan instance that no longer exists, found (and deleted or "
    "given back) by the port audit.",
)
