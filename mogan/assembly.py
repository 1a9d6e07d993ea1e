"""What every Mogan process is assembled from: its database handle, drivers, notifier, the
peers it uses (Glance, Neutron), and, in an engine, the engine.

``mogan engine`` is built from this alone (``build_engine_process``): it imports nothing of
the HTTP API, the dashboard or the use cases, which an engine never serves and whose modules
would only take its memory. ``mogan.root`` builds the API's processes on top of it; the
engine's modules are imported by ``build_engine``, so an API worker never loads them.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from oslo_config import cfg

from mogan import conf as mogan_conf
from mogan.core.images import GLANCE, ImageCatalog
from mogan.core.networking import NEUTRON
from mogan.db import instances
from mogan.db.database import Database
from mogan.db.fake_hardware import DatabaseHardwareStore
from mogan.drivers.registry import DriverEnvironment, DriverRegistry
from mogan.notifications import LogNotifier, MessagingNotifier, Notifier, NullNotifier

if TYPE_CHECKING:
    from mogan.cloud.image_cache import ImageCache
    from mogan.cloud.neutron import Neutron
    from mogan.engine.neutron_ports import NeutronPorts
    from mogan.engine.worker import Engine


@dataclass
class EngineProcess:
    """What ``mogan engine`` runs: an engine, and what it holds."""

    db: Database
    drivers: DriverRegistry
    notifier: Notifier
    engine: Engine

    def close(self) -> None:
        """Stop the engine, flush notifications, release connections (to the database, and
        the drivers' to BMCs and peers)."""
        self.engine.stop()
        self.drivers.close()
        self.notifier.close()
        self.db.dispose()


def build_engine_process(conf: cfg.ConfigOpts) -> EngineProcess:
    """An engine process's parts; the engine is built but not started."""
    db = build_database(conf, engine_workers=conf.engine.workers)
    drivers = build_drivers(conf, db)
    notifier = build_notifier(conf, "engine")
    return EngineProcess(db, drivers, notifier, build_engine(conf, db, drivers, notifier))


def build_database(conf: cfg.ConfigOpts, *, engine_workers: int = 0) -> Database:
    """The process's database handle. An engine's pool holds a connection for each of its
    workers plus its own loops, so its lease heartbeat never waits behind busy workers."""
    pool_size = max(conf.database.max_pool_size, engine_workers + 4)
    return Database(
        mogan_conf.database_url(conf),
        pool_size=pool_size,
        max_overflow=conf.database.max_overflow,
    )


def build_drivers(conf: cfg.ConfigOpts, db: Database) -> DriverRegistry:
    """The enabled drivers (``mogan.drivers`` plugins), each built when first used."""
    environment = DriverEnvironment(
        conf, fake_hardware=functools.partial(DatabaseHardwareStore, db)
    )
    return DriverRegistry.from_entry_points(conf.enabled_drivers, environment)


def build_notifier(conf: cfg.ConfigOpts, role: str) -> Notifier:
    """The notifier ``[notifications] driver`` names; ``role`` goes in the publisher id."""
    driver = conf.notifications.driver
    if driver == "messaging":
        return MessagingNotifier(
            conf,
            transport_url=conf.notifications.transport_url,
            publisher_id=f"mogan-{role}.{conf.host}",
            topics=list(conf.notifications.topics),
        )
    if driver == "log":
        return LogNotifier()
    return NullNotifier()


def metrics_files_root() -> str | None:
    """The metrics directory whose files every process of this host counts into, when this
    process is one of them (``mogan.cmd.metrics_files``); None: it counts in memory alone."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return os.path.dirname(directory) if directory else None


def build_engine(
    conf: cfg.ConfigOpts, db: Database, drivers: DriverRegistry, notifier: Notifier | None = None
) -> Engine:
    from mogan.engine.operations.base import EngineSettings
    from mogan.engine.worker import Engine, EngineConfig

    engine_conf = conf.engine
    copies = build_image_cache(conf, db)
    settings = EngineSettings(
        max_attempts=engine_conf.max_attempts,
        driver_retries=engine_conf.driver_retries,
        driver_retry_interval=engine_conf.driver_retry_interval,
        power_state_timeout=engine_conf.power_state_timeout,
        soft_power_timeout=engine_conf.soft_power_timeout,
        soft_power_fallback=engine_conf.soft_power_fallback,
        power_poll_interval=engine_conf.power_poll_interval,
        failure_domain=conf.scheduler.failure_domain,
        cleaning_mode=conf.cleaning.mode,
        port_type_by_speed=dict(conf.inspection.port_type_by_speed),
        glance_copies=copies.url_for if copies is not None else None,
        neutron=build_neutron_ports(conf),
        rescue_image=conf.rescue.image,
    )
    return Engine(
        db,
        drivers,
        notifier=notifier,
        config=EngineConfig(
            host=conf.host,
            workers=engine_conf.workers,
            lease_timeout=engine_conf.lease_timeout,
            poll_interval=engine_conf.poll_interval,
            sync_power_state_interval=engine_conf.sync_power_state_interval,
            sync_power_state_workers=engine_conf.sync_power_state_workers,
            sync_inventory_interval=engine_conf.sync_inventory_interval,
            port_audit_interval=conf.network.audit_interval,
            settings=settings,
        ),
    )


def build_glance(conf: cfg.ConfigOpts) -> ImageCatalog | None:
    """Glance, where ``[image] backend`` names it (keystoneauth is loaded only then)."""
    if conf.image.backend != GLANCE:
        return None
    if conf.auth_strategy != "keystone":
        # Glance decides what each caller may use from the caller's own token; without one,
        # every tenant would see what Mogan's service user sees.
        raise ValueError("[image] backend = glance needs auth_strategy = keystone")
    from mogan.cloud.glance import Glance

    return Glance(conf)


def build_neutron(conf: cfg.ConfigOpts) -> Neutron | None:
    """Neutron, where ``[network] backend`` names it (keystoneauth is loaded only then)."""
    if conf.network.backend != NEUTRON:
        return None
    if conf.auth_strategy != "keystone":
        # Neutron decides what each caller may use from the caller's own token.
        raise ValueError("[network] backend = neutron needs auth_strategy = keystone")
    from mogan.cloud.neutron import Neutron

    return Neutron(conf)


def build_neutron_ports(conf: cfg.ConfigOpts) -> NeutronPorts | None:
    """The engine's use of Neutron: ports made and bound as Mogan's service user."""
    neutron = build_neutron(conf)
    if neutron is None:
        return None
    from mogan.engine.neutron_ports import NeutronPorts

    return NeutronPorts(
        neutron, retries=conf.network.retries, retry_interval=conf.network.retry_interval
    )


def build_image_cache(conf: cfg.ConfigOpts, db: Database) -> ImageCache | None:
    """Mogan's copies of Glance images for BMCs, where ``[image] cache_dir`` is set."""
    if conf.image.backend != GLANCE or not (conf.image.cache_dir and conf.image.cache_url):
        return None
    from mogan.cloud.glance import Glance
    from mogan.cloud.image_cache import ImageCache

    return ImageCache(
        Glance(conf),
        conf.image.cache_dir,
        conf.image.cache_url,
        conf.image.cache_max_gb << 30,
        in_use=lambda: instances.images_in_use(db),
    )
