"""The composition root: builds every part of a Mogan process from its configuration (the
parts an engine needs alone are in ``mogan.assembly``).

Nothing else constructs database handles, drivers, engines or services, and nothing connects
to anything at import time.
"""

from __future__ import annotations

import base64
import functools
import os
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from oslo_config import cfg
from starlette.types import ASGIApp, Receive, Scope, Send

from mogan.api.app import create_app
from mogan.api.identity import NoAuthDefaults, noauth_context
from mogan.api.keystone import KeystoneAuthMiddleware, keystone_context
from mogan.api.middleware import GuardSettings
from mogan.assembly import (
    build_database,
    build_drivers,
    build_engine,
    build_glance,
    build_neutron,
    build_notifier,
    metrics_files_root,
)
from mogan.console.proxy import ConsoleProxy
from mogan.core.capabilities import DriverCatalog
from mogan.core.quotas import Limits
from mogan.dashboard.settings import DashboardSettings
from mogan.db.database import Database
from mogan.drivers.registry import DriverRegistry
from mogan.notifications import Notifier
from mogan.services.actions import ActionService
from mogan.services.bundle import Services
from mogan.services.consoles import ConsoleService
from mogan.services.create import CreateSettings
from mogan.services.deploy_templates import DeployTemplateService
from mogan.services.floating_ips import FloatingIpService
from mogan.services.health import HealthService
from mogan.services.image_lookup import ImageLookup
from mogan.services.images import ImageService
from mogan.services.instances import InstanceService
from mogan.services.keypairs import KeypairService
from mogan.services.manageable import ManageableService
from mogan.services.metrics import MetricsService
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
    from mogan.engine.worker import Engine


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
        """Stop the engine (if started), flush notifications, release connections (to the
        database, and the drivers' to BMCs and peers)."""
        if self.engine is not None:
            self.engine.stop()
        self.drivers.close()
        self.notifier.close()
        self.db.dispose()


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


def with_console_proxy(app: ASGIApp, proxy: ConsoleProxy) -> ASGIApp:
    """The API with the serial console proxy at ``/v1/consoles/serial`` (and unversioned):
    every API process serves consoles (docs/operator-guide.md, "Serial consoles")."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"] in _CONSOLE_PATHS:
            await proxy(scope, receive, send)
        else:
            await app(scope, receive, send)

    return dispatch


_CONSOLE_PATHS = frozenset({"/v1/consoles/serial", "/consoles/serial"})


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
            rescue_password_length=conf.rescue.password_length,
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
        consoles=ConsoleService(db, policy, drivers, token_ttl=conf.console.token_ttl),
        health=HealthService(db),
        metrics=MetricsService(db, policy, metrics_files_root()),
        deploy_templates=DeployTemplateService(db, policy, max_limit),
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
    app = with_console_proxy(app, ConsoleProxy(db, drivers))
    return Mogan(
        conf=conf,
        db=db,
        drivers=drivers,
        engine=engine,
        services=services,
        app=app,
        notifier=notifier,
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
    from mogan.dashboard.mount import WithDashboard

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

    def build() -> ASGIApp:
        from mogan.dashboard.app import create_dashboard

        return create_dashboard(api, settings)

    return WithDashboard(api, build, settings.path)


def dashboard_key(conf: cfg.ConfigOpts) -> bytes:
    """``[dashboard] secret_key``, or the key generated once into ``state_path`` (created
    with O_EXCL and mode 0600, so processes starting together agree on one)."""
    if conf.dashboard.secret_key:
        return str(conf.dashboard.secret_key).encode()
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
    # What Fernet.generate_key makes, without loading cryptography into every API worker.
    key = base64.urlsafe_b64encode(os.urandom(32))
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
