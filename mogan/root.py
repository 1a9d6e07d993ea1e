"""The composition root: builds every part of a Mogan process from its configuration.

Nothing else constructs database handles, drivers, engines or services, and nothing connects
to anything at import time.
"""

from __future__ import annotations

import functools
import os
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from oslo_config import cfg
from starlette.types import ASGIApp

from mogan import conf as mogan_conf
from mogan.api.app import create_app
from mogan.api.identity import NoAuthDefaults, noauth_context
from mogan.api.keystone import KeystoneAuthMiddleware, keystone_context
from mogan.api.middleware import GuardSettings
from mogan.core.capabilities import DriverCatalog
from mogan.core.images import GLANCE, ImageCatalog
from mogan.core.networking import NEUTRON
from mogan.core.quotas import Limits
from mogan.dashboard.settings import DashboardSettings
from mogan.db import instances
from mogan.db.database import Database
from mogan.db.fake_hardware import DatabaseHardwareStore
from mogan.drivers.registry import DriverEnvironment, DriverRegistry
from mogan.engine.neutron_ports import NeutronPorts
from mogan.engine.operations.base import EngineSettings
from mogan.engine.worker import Engine, EngineConfig
from mogan.notifications import LogNotifier, MessagingNotifier, Notifier, NullNotifier
from mogan.services.actions import ActionService
from mogan.services.bundle import Services
from mogan.services.create import CreateSettings
from mogan.services.floating_ips import FloatingIpService
from mogan.services.image_lookup import ImageLookup
from mogan.services.images import ImageService
from mogan.services.instances import InstanceService
from mogan.services.keypairs import KeypairService
from mogan.services.manageable import ManageableService
from mogan.services.network_lookup import NetworkLookup
from mogan.services.networks import NetworkService
from mogan.services.nodes import NodeService
from mogan.services.policy import Policy
from mogan.services.quotas import QuotaService
from mogan.services.server_groups import ServerGroupService
from mogan.services.tags import TagService
from mogan.services.types import TypeService
from mogan.services.zones import ZoneService

if TYPE_CHECKING:
    from mogan.cloud.image_cache import ImageCache
    from mogan.cloud.neutron import Neutron


@dataclass
class Mogan:
    conf: cfg.ConfigOpts
    db: Database
    drivers: DriverRegistry
    engine: Engine | None
    services: Services
    app: ASGIApp
    notifier: Notifier

    def close(self) -> None:
        """Stop the engine (if started), flush notifications, release connections."""
        if self.engine is not None:
            self.engine.stop()
        self.notifier.close()
        self.db.dispose()


def build_database(conf: cfg.ConfigOpts, *, engine_workers: int = 0) -> Database:
    """The process's database handle. An engine's pool holds a connection for each of its
    workers plus its own loops, so its lease heartbeat never waits behind busy workers."""
    pool_size = max(conf.database.max_pool_size, engine_workers + 4)
    return Database(
        mogan_conf.database_url(conf),
        pool_size=pool_size,
        max_overflow=conf.database.max_overflow,
    )


def quota_defaults(conf: cfg.ConfigOpts) -> Limits:
    """``[quota]``'s limits, which every project has unless it has its own."""
    quota = conf.quota
    return Limits(
        instances=quota.instances,
        keypairs=quota.keypairs,
        server_groups=quota.server_groups,
        server_group_members=quota.server_group_members,
        nodes=quota.nodes,
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


def build_engine(
    conf: cfg.ConfigOpts, db: Database, drivers: DriverRegistry, notifier: Notifier | None = None
) -> Engine:
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


def build(conf: cfg.ConfigOpts, *, with_engine: bool = True) -> Mogan:
    """Everything one process needs; the engine is built but not started."""
    db = build_database(conf, engine_workers=conf.engine.workers if with_engine else 0)
    drivers = build_drivers(conf, db)
    notifier = build_notifier(conf, "engine" if with_engine else "api")
    engine = build_engine(conf, db, drivers, notifier) if with_engine else None
    policy = Policy(conf)
    max_limit = conf.api.max_limit

    def wake() -> None:
        if engine is not None:
            engine.wake()

    limits = quota_defaults(conf)
    glance = build_glance(conf)
    neutron = build_neutron(conf)
    services = Services(
        instances=InstanceService(
            db,
            policy,
            wake,
            max_limit,
            notifier,
            CreateSettings(
                quota_defaults=limits,
                drivers=tuple(drivers.names),
                failure_domain=conf.scheduler.failure_domain,
                max_count=conf.scheduler.max_count,
                images=ImageLookup(glance, deployable_formats(drivers)),
                networks=NetworkLookup(neutron),
            ),
        ),
        types=TypeService(db, policy, max_limit),
        zones=ZoneService(db, policy),
        nodes=NodeService(
            db, policy, drivers, max_limit, wake=wake, cleaning_mode=conf.cleaning.mode
        ),
        images=ImageService(db, policy, max_limit, glance),
        networks=NetworkService(db, policy, max_limit, neutron),
        manageable=ManageableService(db, policy, drivers, wake),
        keypairs=KeypairService(db, policy, max_limit, limits),
        tags=TagService(db, policy),
        actions=ActionService(db, policy, max_limit),
        quotas=QuotaService(db, policy, limits),
        server_groups=ServerGroupService(db, policy, limits, max_limit),
        floating_ips=FloatingIpService(db, policy, neutron),
        policy=policy,
    )
    defaults = noauth_defaults(conf)
    if conf.auth_strategy == "keystone":
        app = create_app(
            services,
            identify=keystone_context,
            public_endpoint=conf.api.public_endpoint,
            authenticate=lambda inner: KeystoneAuthMiddleware(inner, conf),
            service_threads=conf.api.service_threads,
            guard=guard_settings(conf),
        )
    else:
        app = create_app(
            services,
            identify=functools.partial(noauth_context, defaults=defaults),
            public_endpoint=conf.api.public_endpoint,
            service_threads=conf.api.service_threads,
            guard=guard_settings(conf),
        )
    if conf.dashboard.enabled:
        app = with_dashboard(conf, app)
    return Mogan(
        conf=conf,
        db=db,
        drivers=drivers,
        engine=engine,
        services=services,
        app=app,
        notifier=notifier,
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


def deployable_formats(drivers: DriverCatalog) -> frozenset[str]:
    """The disk formats the enabled drivers deploy between them (empty: any, where one of
    them takes any)."""
    found: set[str] = set()
    for name in drivers.names:
        formats = drivers.capabilities(name).disk_formats
        if formats is None:
            return frozenset()
        found |= formats
    return frozenset(found)


def noauth_defaults(conf: cfg.ConfigOpts) -> NoAuthDefaults:
    """``[noauth]``'s default caller; an admin one is refused (``ValueError``): a request
    without headers is what a web page on any site can make a browser send."""
    roles = tuple(str(role).strip().lower() for role in conf.noauth.default_roles)
    if conf.noauth.default_project_id and "admin" in roles:
        raise ValueError(
            "[noauth] default_roles may not include admin: any web page could act as it"
        )
    return NoAuthDefaults(conf.noauth.default_project_id, conf.noauth.default_user_id, roles)


def guard_settings(conf: cfg.ConfigOpts) -> GuardSettings:
    """What the API's guard lets through, from ``[api]``: see ``RequestGuard``."""
    public = urlsplit(conf.api.public_endpoint) if conf.api.public_endpoint else None
    hosts: frozenset[str] | None
    if conf.api.allowed_hosts is None:
        names = {"localhost", str(conf.host).lower(), socket.getfqdn().lower()}
        if conf.api.host_ip not in ("0.0.0.0", "::"):
            names.add(str(conf.api.host_ip).lower())
        if public is not None and public.hostname:
            names.add(public.hostname.lower())
        hosts = frozenset(names)
    elif "*" in conf.api.allowed_hosts:
        hosts = None
    else:
        hosts = frozenset(str(host).lower() for host in conf.api.allowed_hosts)
    origins = {str(origin).rstrip("/").lower() for origin in conf.api.allowed_origins}
    if public is not None:
        origins.add(f"{public.scheme}://{public.netloc}".lower())
    return GuardSettings(
        max_body_size=conf.api.max_request_body_size,
        allowed_hosts=hosts,
        allowed_origins=frozenset(origins),
    )


def with_dashboard(conf: cfg.ConfigOpts, api: ASGIApp) -> ASGIApp:
    """The API with the dashboard beside it at ``[dashboard] path``."""
    from mogan.dashboard.app import WithDashboard, create_dashboard

    settings = DashboardSettings(
        path=conf.dashboard.path,
        secret_key=dashboard_key(conf),
        auth_strategy=conf.auth_strategy,
        session_lifetime=conf.dashboard.session_lifetime,
        keystone_url=conf.dashboard.keystone_url or _keystone_public_url(conf),
        poll_interval=conf.dashboard.poll_interval,
        secure_cookies=conf.dashboard.secure_cookies
        or str(conf.api.public_endpoint or "").startswith("https://"),
        revocations_path=os.path.join(os.path.abspath(conf.state_path), "dashboard-revoked"),
    )
    return WithDashboard(api, create_dashboard(api, settings), settings.path)


def dashboard_key(conf: cfg.ConfigOpts) -> bytes:
    """``[dashboard] secret_key``, or the key generated once into ``state_path`` (created
    with O_EXCL and mode 0600, so processes starting together agree on one)."""
    if conf.dashboard.secret_key:
        return str(conf.dashboard.secret_key).encode()
    from cryptography.fernet import Fernet

    path = os.path.join(os.path.abspath(conf.state_path), "dashboard.key")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process is writing it
            with open(path, "rb") as existing:
                key = existing.read().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: remove it, or set [dashboard] secret_key") from None
    key = Fernet.generate_key()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


def _keystone_public_url(conf: cfg.ConfigOpts) -> str | None:
    """Keystone's address as keystonemiddleware knows it, if it is configured."""
    try:
        value = conf.keystone_authtoken.www_authenticate_uri
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return None
    return str(value) if value else None
