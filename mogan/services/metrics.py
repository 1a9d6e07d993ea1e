"""``GET /metrics``: every process's counters and histograms, and the fleet as the database
has it, in the Prometheus text format (``prometheus_client``).

In multiprocess mode (``mogan api`` and ``mogan engine``: ``mogan.cmd.metrics_files``) the
counters are the sum over the metric files of every process under the metrics directory — the
API's workers and the engines of this host, running or ended since they started. Otherwise
(``mogan serve``, one process) they are this process's own. The fleet's gauges are counted
by the database at each scrape (``mogan.db.stats``).
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from mogan.core.metrics import ProcessFiles, ThisProcess
from mogan.core.states import STATUSES
from mogan.db import stats
from mogan.db.database import Database
from mogan.services.context import RequestContext
from mogan.services.policy import Policy

CONTENT_TYPE = CONTENT_TYPE_LATEST


class FleetCollector:
    """Instances by status, nodes by provision and power state, the operations queue."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def collect(self) -> Iterable[Metric]:
        counts = stats.fleet_counts(self._db)
        instances = GaugeMetricFamily("mogan_instances", "Instances by status.", labels=["status"])
        for status in STATUSES:
            instances.add_metric([status.value], counts.instances_by_status.get(status.value, 0))
        yield instances
        nodes = GaugeMetricFamily(
            "mogan_nodes",
            "Nodes by provision state, power state and maintenance.",
            labels=["provision_state", "power_state", "maintenance"],
        )
        for (provision, power, maintenance), number in sorted(counts.nodes_by_state.items()):
            nodes.add_metric([provision, power, str(maintenance).lower()], number)
        yield nodes
        waiting, oldest = counts.operations.get("pending", (0, 0.0))
        running, _ = counts.operations.get("running", (0, 0.0))
        yield GaugeMetricFamily(
            "mogan_operations_queued",
            "Operations waiting for an engine to claim them (or to take them over).",
            value=waiting,
        )
        yield GaugeMetricFamily(
            "mogan_operations_oldest_queued_age_seconds",
            "How long the oldest operation still waiting for an engine has waited (0: none).",
            value=oldest,
        )
        yield GaugeMetricFamily(
            "mogan_operations_running", "Operations an engine holds now.", value=running
        )


class MetricsService:
    def __init__(self, db: Database, policy: Policy, files_root: str | None) -> None:
        self._policy = policy
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(
            ProcessFiles(files_root) if files_root is not None else ThisProcess()
        )
        self._registry.register(FleetCollector(db))

    def exposition(self, context: RequestContext) -> bytes:
        """The text format Prometheus scrapes (``CONTENT_TYPE``); operators only."""
        self._policy.authorize("mogan:metrics:get", context)
        return bytes(generate_latest(self._registry))
