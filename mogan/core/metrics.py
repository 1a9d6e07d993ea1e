"""The process's metrics, in the Prometheus data model (``prometheus_client``).

Defined once here so that every layer counts into the same series; exposing them (``GET
/metrics``, ``mogan.services.metrics``) is the API's business. Counting is in memory (or, in
multiprocess mode, in a memory-mapped file of the process: ``mogan.cmd.metrics_files``) and
costs a lock and an add. Labels take a few fixed values each (a route template, never a path;
a driver and method name, never a node), so the series stay few at any fleet size.

What the database knows (instances by status, nodes by state, the queue) is not counted here:
it is read when Prometheus scrapes (``mogan.services.metrics.FleetCollector``).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

#: Seconds: from a cached GET (a millisecond) to a slow create or a BMC's minute.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

API_REQUESTS = Histogram(
    "mogan_api_request_duration_seconds",
    "API requests, by method, route template and status code, and how long each took.",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)

OPERATIONS_STARTED = Counter(
    "mogan_operations_started",
    "Operations an engine began (their first claim), by kind (create, delete, power…).",
    ["kind"],
)
OPERATIONS_FINISHED = Counter(
    "mogan_operations_finished",
    "Operations that ended, by kind and result (succeeded, failed).",
    ["kind", "result"],
)
OPERATIONS_RESUMED = Counter(
    "mogan_operations_resumed",
    "Claims of an operation an earlier claim left unfinished: a takeover after an engine lost "
    "its lease, or a hand-back at an engine's shutdown; by kind.",
    ["kind"],
)

DRIVER_CALLS = Histogram(
    "mogan_driver_call_duration_seconds",
    "Calls into a driver (a BMC over Redfish, Ironic, the simulated fleet), by driver and "
    "call (interface.method), and how long each took.",
    ["driver", "call"],
    buckets=_LATENCY_BUCKETS,
)
DRIVER_ERRORS = Counter(
    "mogan_driver_call_errors",
    "Driver calls that raised, by driver, call and error (NodeUnreachable, DriverError…).",
    ["driver", "call", "error"],
)

POWER_SYNC_ROUNDS = Histogram(
    "mogan_power_sync_round_duration_seconds",
    "Rounds of the power-state sync an engine ran over its share of the nodes.",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
POWER_SYNC_CHECKED = Counter(
    "mogan_power_sync_instances_checked",
    "Instances whose node's power state an engine's power sync read (counted as each round "
    "ends): with several engines, each counts its own share of the ring.",
)
POWER_SYNC_CORRECTIONS = Counter(
    "mogan_power_sync_corrections",
    "Instances whose recorded power state the power sync corrected (the hardware was changed "
    "outside Mogan).",
)

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


class ProcessFiles:
    """A collector of the metric files of every process under ``root`` (one directory each)."""

    def __init__(self, root: str) -> None:
        self._root = root

    def collect(self) -> Iterable[Metric]:
        files = glob.glob(os.path.join(self._root, "*", "*.db"))
        return MultiProcessCollector.merge(files, accumulate=True)


class ThisProcess:
    """A collector of this process's own metrics (single-process mode)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()
