"""Typed configuration: every option Mogan reads, in the INI sections operators know.

``load(argv_files)`` builds a fresh ``ConfigOpts``; nothing here reads files or the
environment at import time. ``list_opts()`` feeds ``oslo-config-generator``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from typing import Any

from oslo_config import cfg

#: The largest request body accepted by default: 2 MiB (user data is at most 64 KiB encoded,
#: and every list and map in a body is bounded well below this).
MAX_REQUEST_BODY_SIZE = 2 * 1024 * 1024

_DEFAULT_OPTS = [
    cfg.StrOpt(
        "auth_strategy",
        default="noauth",
        choices=["noauth", "keystone"],
        help="How callers are identified. 'keystone': a Keystone token, validated by "
        "keystonemiddleware's auth_token (configured in [keystone_authtoken]). 'noauth' trusts "
        "X-Project-Id, X-User-Id and X-Roles headers (for standalone and test use).",
    ),
    cfg.StrOpt(
        "state_path",
        default="state",
        help="Directory for Mogan's own state, such as the default SQLite database. "
        "A relative path is taken from the directory Mogan starts in.",
    ),
    cfg.ListOpt(
        "enabled_drivers",
        default=["fake", "redfish"],
        help="Drivers nodes may be enrolled with: fake, redfish, ironic. Nodes of the ironic "
        "driver are not enrolled in Mogan but synced from Ironic (see [ironic]).",
    ),
    cfg.StrOpt(
        "host",
        default=socket.gethostname(),
        sample_default="<hostname>",
        help="Name of this host, used to name engines in leases and logs.",
    ),
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level."),
    cfg.StrOpt(
        "log_format",
        default="text",
        choices=[
            ("text", "one line per record: time, pid, level, logger, [request id], message"),
            (
                "json",
                "one JSON object per line (timestamp, process, level, logger, request_id, "
                "message, exc_info), for log shippers",
            ),
        ],
        help="How log records are written to standard error.",
    ),
    cfg.IntOpt(
        "malloc_arenas",
        default=2,
        min=0,
        help="The most memory arenas glibc's malloc keeps in each Mogan process (M_ARENA_MAX; "
        "0 leaves glibc's own limit of eight a core). Each thread that allocates gets an arena "
        "up to that limit, and an arena keeps the high-water mark of what was freed in it; "
        "one Python thread runs at a time, so a few are as fast and hold less memory.",
    ),
]

_DATABASE_OPTS = [
    cfg.StrOpt(
        "connection",
        secret=True,
        help="SQLAlchemy URL of the database. Default: an SQLite file "
        "mogan.sqlite under state_path.",
    ),
    cfg.IntOpt("max_pool_size", default=10, min=1, help="Connections kept per process."),
    cfg.IntOpt("max_overflow", default=20, min=0, help="Extra connections allowed at peaks."),
]

_API_OPTS = [
    cfg.HostAddressOpt("host_ip", default="127.0.0.1", help="Address the API listens on."),
    cfg.PortOpt("port", default=6688, help="Port the API listens on."),
    cfg.StrOpt(
        "public_endpoint",
        help="Base URL written in links (e.g. https://mogan.example.com). Default: the "
        "scheme and host of each request.",
    ),
    cfg.IntOpt(
        "max_limit", default=1000, min=1, help="The most items one page of a collection returns."
    ),
    cfg.IntOpt(
        "max_request_body_size",
        default=MAX_REQUEST_BODY_SIZE,
        min=1024,
        help="The largest request body accepted, in bytes; a larger one is refused with 413 "
        "before it is read.",
    ),
    cfg.ListOpt(
        "allowed_hosts",
        help="Host names requests may be addressed to (the Host header), against DNS "
        "rebinding; IP addresses are always accepted, '*' accepts any name. Default: "
        "localhost, this host's names, host_ip and public_endpoint's host.",
    ),
    cfg.ListOpt(
        "allowed_origins",
        default=[],
        help="Web origins (scheme://host[:port]) whose pages may send writes to the API from a "
        "browser, besides the API's own. Writes with any other Origin header get 403.",
    ),
]

_API_OPTS += [
    cfg.IntOpt("workers", default=2, min=1, help="API worker processes of 'mogan api'."),
    cfg.IntOpt(
        "keepalive_timeout",
        default=75,
        min=1,
        help="Seconds an idle client connection is kept open for its next request. Keep it "
        "above the idle timeout of any proxy or load balancer in front (60 s on many), or "
        "requests sent on a connection the API is closing fail with 502 or a reset.",
    ),
    cfg.IntOpt(
        "service_threads",
        default=40,
        min=1,
        help="Threads per API process that run requests' (blocking) database work: the most "
        "requests one process serves at once.",
    ),
]

_NOAUTH_OPTS = [
    cfg.StrOpt(
        "default_project_id",
        help="Project of a request that sends no X-Project-Id. Unset (the default): such a "
        "request is anonymous and refused with 401. Never give the default caller an admin "
        "role: any web page a browser on this network visits could then act as it.",
    ),
    cfg.StrOpt("default_user_id", help="User of a request that sends no X-Project-Id."),
    cfg.ListOpt(
        "default_roles",
        default=["member"],
        help="Roles of a request that sends no X-Project-Id (never admin: refused at start).",
    ),
]

_ENGINE_OPTS = [
    cfg.IntOpt(
        "workers", default=16, min=1, help="Operations one engine carries out at once (threads)."
    ),
    cfg.IntOpt(
        "max_attempts",
        default=3,
        min=1,
        help="Nodes tried for one instance before it goes to error.",
    ),
    cfg.IntOpt(
        "sync_power_state_interval",
        default=60,
        help="Seconds between power state syncs of active instances; 0 or less disables the sync.",
    ),
    cfg.FloatOpt(
        "sync_inventory_interval",
        default=60.0,
        help="Seconds between syncs of the nodes of drivers whose inventory lives elsewhere "
        "(Ironic): new, gone, maintenance and provision state; also finds orphans. "
        "0 or less disables the periodic sync (POST /v1/nodes/sync still works).",
    ),
    cfg.IntOpt(
        "sync_power_state_workers",
        default=32,
        min=1,
        help="Power state reads in flight at once during a sync.",
    ),
    cfg.FloatOpt(
        "lease_timeout",
        default=30.0,
        min=1.0,
        help="Seconds an operation's lease lasts without a heartbeat; after that "
        "another engine takes the operation over.",
    ),
    cfg.FloatOpt(
        "poll_interval",
        default=2.0,
        min=0.05,
        help="Seconds between checks for new or abandoned operations when no wake-up arrives.",
    ),
    cfg.FloatOpt(
        "power_state_timeout",
        default=120.0,
        min=1.0,
        help="Seconds to wait for the hardware to be observed in a requested power state.",
    ),
    cfg.FloatOpt(
        "power_poll_interval",
        default=1.0,
        min=0.01,
        help="Seconds between power state reads while a power change is awaited.",
    ),
    cfg.FloatOpt(
        "soft_power_timeout",
        default=120.0,
        min=0.1,
        help="Seconds to wait for a soft power off or soft reboot to be observed.",
    ),
    cfg.StrOpt(
        "soft_power_fallback",
        default="hard",
        choices=["hard", "fail"],
        help="What to do when a soft power action times out: 'hard' repeats it as a hard power "
        "off / reboot, 'fail' ends the request with a fault.",
    ),
    cfg.IntOpt(
        "driver_retries",
        default=3,
        min=0,
        help="Retries of a driver call that failed in a way retrying can help.",
    ),
    cfg.FloatOpt(
        "driver_retry_interval",
        default=1.0,
        min=0.0,
        help="Seconds before the first retry of a driver call; doubled each time.",
    ),
]

_FAKE_OPTS = [
    cfg.FloatOpt(
        "deploy_latency",
        default=0.0,
        min=0.0,
        help="Seconds a simulated deploy takes (a node's driver_info "
        "fake_deploy_latency overrides it).",
    ),
    cfg.FloatOpt(
        "power_latency",
        default=0.0,
        min=0.0,
        help="Seconds a simulated power change takes before it is observed "
        "(driver_info fake_power_latency overrides it).",
    ),
    cfg.FloatOpt(
        "clean_latency",
        default=0.0,
        min=0.0,
        help="Seconds a simulated clean takes (driver_info fake_clean_latency overrides it).",
    ),
    cfg.FloatOpt(
        "inspect_latency",
        default=0.0,
        min=0.0,
        help="Seconds a simulated inspection takes (driver_info fake_inspect_latency "
        "overrides it).",
    ),
]

_REDFISH_OPTS = [
    cfg.FloatOpt(
        "connect_timeout",
        default=10.0,
        min=0.1,
        help="Seconds to wait for a BMC to accept a connection.",
    ),
    cfg.FloatOpt(
        "read_timeout",
        default=60.0,
        min=0.1,
        help="Seconds to wait for a BMC's answer to one request.",
    ),
    cfg.FloatOpt(
        "power_state_timeout",
        default=120.0,
        min=1.0,
        help="Seconds a deploy or tear-down waits for the BMC to report a power change.",
    ),
    cfg.IntOpt(
        "connection_cache_size",
        default=1000,
        min=0,
        help="BMC connections (and Redfish sessions) one process keeps open. When full, a new "
        "BMC replaces the least recently used one only if asked for more often; a BMC without "
        "a kept connection is read with HTTP Basic authentication, no session. 0 keeps none.",
    ),
    cfg.FloatOpt(
        "poll_interval",
        default=1.0,
        min=0.01,
        help="Seconds between power state reads while waiting for a change.",
    ),
    cfg.StrOpt(
        "configdrive_dir",
        help="Directory where config drive ISOs are written for BMCs to fetch. "
        "Without it (and configdrive_url), deploys carry no config drive.",
    ),
    cfg.StrOpt(
        "configdrive_url",
        help="URL at which configdrive_dir is served to the BMCs (e.g. "
        "http://10.0.0.2:8080/configdrive).",
    ),
    cfg.FloatOpt(
        "configuration_timeout",
        default=600.0,
        min=1.0,
        help="Seconds a deploy waits, after the boot, for the BIOS to show the settings its "
        "deploy steps left pending (the firmware applies them during POST).",
    ),
    cfg.StrOpt(
        "cleaning_iso_url",
        help="URL of the cleaning image a 'full' clean boots by virtual media: it must "
        "overwrite the machine's disks and power the machine off when done (the node's "
        "driver_info redfish_cleaning_iso_url overrides it). Without it, a full clean fails.",
    ),
]

_IRONIC_OPTS = [
    cfg.FloatOpt(
        "deploy_timeout",
        default=3600.0,
        min=1.0,
        help="Seconds a deploy (or a tear-down with its cleaning) may take in Ironic before "
        "Mogan gives up on it with a fault.",
    ),
    cfg.FloatOpt(
        "poll_interval",
        default=2.0,
        min=0.01,
        help="Seconds between reads of an Ironic node while waiting for a provision state.",
    ),
    cfg.StrOpt(
        "availability_zone_property",
        default="availability_zone",
        help="Key in an Ironic node's properties naming its availability zone.",
    ),
    cfg.BoolOpt(
        "availability_zone_from_conductor_group",
        default=False,
        help="Take a node's availability zone from its conductor group when its properties "
        "name none.",
    ),
    cfg.StrOpt(
        "default_port_type",
        help="port_type of an Ironic port whose extra.port_type is unset and which has no "
        "physical network.",
    ),
]

_NOTIFICATIONS_OPTS = [
    cfg.StrOpt(
        "driver",
        default="noop",
        choices=["noop", "log", "messaging"],
        help="Where instance notifications go: nowhere, the log, or the message broker.",
    ),
    cfg.StrOpt(
        "transport_url",
        secret=True,
        help="oslo.messaging URL of the broker (e.g. rabbit://user:pass@host:5672/). "
        "Default: [DEFAULT] transport_url.",
    ),
    cfg.ListOpt("topics", default=["notifications"], help="Topics notifications are sent on."),
]

_SCHEDULER_OPTS = [
    cfg.StrOpt(
        "failure_domain",
        default="node",
        help="What server groups and the different_host/same_host hints spread instances "
        "across: 'node' (each node is a domain of its own), or the name of a node property "
        "operators set, such as 'rack' or 'power_domain' (a node without it is a domain of "
        "its own). For Ironic nodes the property comes from Ironic's node properties.",
    ),
    cfg.IntOpt(
        "max_count",
        default=100,
        min=1,
        help="The most instances one create request may ask for (max_count).",
    ),
]

_CLEANING_OPTS = [
    cfg.StrOpt(
        "mode",
        default="metadata",
        choices=[
            (
                "metadata",
                "delete and recreate the disks' volumes: partition tables and file "
                "systems are gone, the data blocks are not overwritten",
            ),
            ("full", "metadata, then boot [redfish] cleaning_iso_url to overwrite every disk"),
            ("none", "reuse the node at once, as the last tenant left it"),
        ],
        help="What is wiped between tenants, after every tear-down (a node's driver_info "
        "cleaning_mode overrides it). Ironic's nodes are cleaned by Ironic, as its "
        "[conductor] automated_clean says.",
    ),
    cfg.FloatOpt(
        "timeout",
        default=3600.0,
        min=1.0,
        help="Seconds a clean (and a full clean's cleaning image) may take before the node "
        "is put in maintenance as 'clean failed'.",
    ),
    cfg.StrOpt(
        "bios_baseline",
        help="The BIOS every clean between tenants returns a node to, written as pending "
        "settings its firmware takes at the next boot: 'factory' (the BMC's BIOS reset), or a "
        'JSON object of settings, e.g. {"ProcTurboMode": "Enabled", "LogicalProc": '
        '"Enabled"} (with "factory": true in it, a reset first). Empty: the BIOS is left as '
        "the last deploy's steps made it. Ironic's nodes are cleaned by Ironic's own steps.",
    ),
]

_DASHBOARD_OPTS = [
    cfg.BoolOpt(
        "enabled",
        default=True,
        help="Serve the web dashboard from 'mogan serve' and 'mogan api'.",
    ),
    cfg.StrOpt(
        "path",
        default="/dashboard",
        regex=r"^/[A-Za-z0-9_\-/]*[A-Za-z0-9_\-]$",
        help="Where the dashboard is served (a path, not '/').",
    ),
    cfg.StrOpt(
        "secret_key",
        secret=True,
        help="Key that encrypts and signs the dashboard's session cookies (a Fernet key: 32 "
        "url-safe base64-encoded bytes). Every API process behind one address needs the same "
        "one. Default: one generated once into state_path/dashboard.key.",
    ),
    cfg.IntOpt(
        "session_lifetime",
        default=28800,
        min=60,
        help="Seconds a dashboard login lasts (a Keystone token's own expiry ends it sooner).",
    ),
    cfg.StrOpt(
        "keystone_url",
        help="Keystone's public URL, where the dashboard logs people in (auth_strategy = "
        "keystone). Default: [keystone_authtoken] www_authenticate_uri.",
    ),
    cfg.FloatOpt(
        "poll_interval",
        default=2.0,
        min=0.2,
        help="Seconds between a page's live updates while something on it is changing.",
    ),
    cfg.BoolOpt(
        "secure_cookies",
        default=False,
        help="Mark the dashboard's cookies Secure (sent over HTTPS only) even when the request "
        "arrives over plain HTTP, as behind a TLS-terminating proxy. Always on when "
        "[api] public_endpoint is https.",
    ),
]

_INSPECTION_OPTS = [
    cfg.DictOpt(
        "port_type_by_speed",
        default={},
        help="port_type given to a NIC an inspection finds, by its link speed in Mbit/s, "
        "e.g. '1000:1GE,10000:10GE,25000:25GE'. A NIC whose speed is not listed keeps its "
        "port_type (or none).",
    ),
]

_QUOTA_OPTS = [
    cfg.IntOpt(
        "instances",
        default=-1,
        min=-1,
        help="Instances a project may have (any status, until each is gone). -1: unlimited; "
        "bare metal is bounded by its nodes, so operators set this where they share them.",
    ),
    cfg.IntOpt(
        "nodes",
        default=-1,
        min=-1,
        help="Nodes of each resource class a project may hold (an instance of a type with "
        "resources:CUSTOM_GOLD=1 holds one CUSTOM_GOLD node). -1: unlimited. Per-project "
        "limits may name each class.",
    ),
    cfg.IntOpt("keypairs", default=100, min=-1, help="Key pairs per user. -1: unlimited."),
    cfg.IntOpt(
        "server_groups", default=10, min=-1, help="Server groups per project. -1: unlimited."
    ),
    cfg.IntOpt(
        "server_group_members",
        default=10,
        min=-1,
        help="Instances per server group. -1: unlimited.",
    ),
]

_IMAGE_OPTS = [
    cfg.StrOpt(
        "backend",
        default="builtin",
        choices=[
            ("builtin", "Mogan's own registry: images an operator registers by URL."),
            (
                "glance",
                "OpenStack Glance (see [glance]): tenants' images, with Glance's "
                "visibility, read with each caller's own token as Nova reads them.",
            ),
        ],
        help="Where images come from. glance needs auth_strategy = keystone.",
    ),
    cfg.StrOpt(
        "cache_dir",
        help="Glance only: where Mogan keeps copies of Glance images for BMCs that boot from "
        "a URL (the redfish driver), each checked against Glance's hash on the way in. "
        "Served to the BMCs at cache_url by a web server of the operator's, as "
        "[redfish] configdrive_dir is.",
    ),
    cfg.StrOpt(
        "cache_url",
        help="Glance only: the URL BMCs fetch cache_dir's files under.",
    ),
    cfg.IntOpt(
        "cache_max_gb",
        default=50,
        min=1,
        help="Glance only: the size cache_dir is kept under; the least recently used "
        "copies are removed first (never one being written).",
    ),
]

_NETWORK_OPTS = [
    cfg.StrOpt(
        "backend",
        default="builtin",
        choices=[
            (
                "builtin",
                "Mogan's own registry: networks and subnets an operator defines, "
                "addresses allocated by Mogan.",
            ),
            (
                "neutron",
                "OpenStack Neutron (see [neutron]): tenants' own and shared networks, read "
                "with each caller's token; Mogan makes and binds the ports.",
            ),
        ],
        help="Where networks come from. neutron needs auth_strategy = keystone.",
    ),
    cfg.IntOpt(
        "retries",
        default=3,
        min=0,
        help="Neutron only: how many times a failed or unanswered Neutron call of an "
        "operation is tried again before the operation fails with the fault.",
    ),
    cfg.FloatOpt(
        "retry_interval",
        default=2.0,
        min=0.0,
        help="Neutron only: seconds between those tries.",
    ),
    cfg.FloatOpt(
        "audit_interval",
        default=600.0,
        min=0.0,
        help="Neutron only: seconds between audits of the Neutron ports wired to Mogan "
        "instances (device_owner compute:mogan): a port whose instance Mogan no longer has "
        "is reported (a WARNING, the mogan_orphan_ports counter) and deleted, or given back "
        "unbound when the tenant gave it. 0: no audit.",
    ),
]

_RESCUE_OPTS = [
    cfg.StrOpt(
        "image",
        help="The rescue system booted when a tenant's rescue names no image: the URL of a "
        "bootable ISO the BMCs can fetch, or the UUID of an image in Mogan's registry "
        "(builtin images). Unset: only drivers with a rescue system of their own (ironic: "
        "Ironic's rescue ramdisk; fake) rescue without an image. The image must accept the "
        "rescue password and key from the config drive it is given (cloud-init's does).",
    ),
    cfg.IntOpt(
        "password_length",
        default=16,
        min=8,
        max=64,
        help="Length of the rescue password Mogan generates when a tenant gives none (it is "
        "returned once, in the rescue's response).",
    ),
]

_CONSOLE_OPTS = [
    cfg.FloatOpt(
        "token_ttl",
        default=600.0,
        min=1.0,
        help="Seconds a console ticket (POST /v1/instances/{id}/remote_consoles) may be used "
        "in; each is good for one connection.",
    ),
]

_METRICS_OPTS = [
    cfg.StrOpt(
        "directory",
        help="Where the processes of this host keep their metric files (Prometheus' "
        "multiprocess mode: every API worker and engine is counted), each in a directory of "
        "its own that it clears when it starts. One 'mogan api' per directory. Default: "
        "state_path/metrics.",
    ),
    cfg.HostAddressOpt(
        "host",
        default="127.0.0.1",
        help="Address on which api_port and engine_port are served: a scrape network's, never "
        "the tenants' (they answer without authentication).",
    ),
    cfg.PortOpt(
        "api_port",
        default=0,
        help="Port on which 'mogan api' (its supervising process) serves /metrics without "
        "authentication, for Prometheus: what GET /metrics on the API says to an operator. 0: "
        "only the API's GET /metrics, which needs an admin.",
    ),
    cfg.PortOpt(
        "engine_port",
        default=0,
        help="Port on which 'mogan engine' serves the metrics of the processes of its host "
        "(its own, and any other's in the metrics directory), for a host that runs no API. 0: "
        "none; its metrics are then in the /metrics of a 'mogan api' on the same host and "
        "metrics directory.",
    ),
]

_GROUPS: list[tuple[str | None, list[Any]]] = [
    (None, _DEFAULT_OPTS),
    ("database", _DATABASE_OPTS),
    ("api", _API_OPTS),
    ("noauth", _NOAUTH_OPTS),
    ("engine", _ENGINE_OPTS),
    ("fake", _FAKE_OPTS),
    ("redfish", _REDFISH_OPTS),
    ("ironic", _IRONIC_OPTS),
    ("image", _IMAGE_OPTS),
    ("glance", []),
    ("network", _NETWORK_OPTS),
    ("neutron", []),
    ("notifications", _NOTIFICATIONS_OPTS),
    ("quota", _QUOTA_OPTS),
    ("scheduler", _SCHEDULER_OPTS),
    ("cleaning", _CLEANING_OPTS),
    ("inspection", _INSPECTION_OPTS),
    ("rescue", _RESCUE_OPTS),
    ("console", _CONSOLE_OPTS),
    ("dashboard", _DASHBOARD_OPTS),
    ("metrics", _METRICS_OPTS),
]


#: Peers Mogan reads through keystoneauth, and the service type each is found under.
_KEYSTONEAUTH_PEERS = {"ironic": "baremetal", "glance": "image", "neutron": "network"}


def _keystoneauth_opts() -> list[cfg.Opt]:
    """The keystoneauth session, auth and adapter options of a peer's section, as Nova has
    them (``[ironic]``, ``[glance]``, ``[neutron]``)."""
    from keystoneauth1 import loading as ks_loading

    return (
        ks_loading.get_session_conf_options()
        + ks_loading.get_auth_common_conf_options()
        + ks_loading.get_auth_plugin_conf_options("password")
        + ks_loading.get_adapter_conf_options(include_deprecated=False)
    )


def _register_keystoneauth(conf: cfg.ConfigOpts, group: str) -> None:
    from keystoneauth1 import loading as ks_loading

    ks_loading.register_session_conf_options(conf, group)
    ks_loading.register_auth_conf_options(conf, group)
    ks_loading.register_adapter_conf_options(conf, group, include_deprecated=False)
    conf.set_default("service_type", _KEYSTONEAUTH_PEERS[group], group=group)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Entry point for ``oslo-config-generator``."""
    from keystonemiddleware import auth_token

    listed = [(group or "DEFAULT", list(opts)) for group, opts in _GROUPS]
    for name, opts in listed:
        if name in _KEYSTONEAUTH_PEERS:
            opts.extend(_keystoneauth_opts())
    return listed + [(group, list(opts)) for group, opts in auth_token.list_opts()]


def load(
    config_files: Sequence[str] = (), overrides: dict[str, object] | None = None
) -> cfg.ConfigOpts:
    """A fresh, parsed configuration from ``config_files``.

    ``overrides`` maps ``"section.option"`` (or ``"option"`` for DEFAULT) to values, for tests
    and for command line flags.
    """
    from oslo_policy import opts as policy_opts

    conf = cfg.ConfigOpts()
    for group, opts in _GROUPS:
        conf.register_opts(opts, group=group)
    policy_opts.set_defaults(conf)
    conf(
        args=[],
        project="mogan",
        default_config_files=list(config_files),
        default_config_dirs=[],
        validate_default_values=True,
    )
    overrides = overrides or {}
    enabled: Any = overrides.get("enabled_drivers", conf.enabled_drivers)
    names = enabled.split(",") if isinstance(enabled, str) else list(enabled)
    # keystoneauth's options (and module) only where they are used: the ironic driver, Glance,
    # Neutron.
    images = overrides.get("image.backend", conf.image.backend)
    networks = overrides.get("network.backend", conf.network.backend)
    used = {
        "ironic": "ironic" in names,
        "glance": images == "glance",
        "neutron": networks == "neutron",
    }
    for group, in_use in used.items():
        if in_use or any(key.startswith(f"{group}.") for key in overrides):
            _register_keystoneauth(conf, group)
    for dotted, value in overrides.items():
        group, _, name = dotted.rpartition(".")
        conf.set_override(name, value, group=group or None)
    return conf


def metrics_directory(conf: cfg.ConfigOpts) -> str:
    """The configured metrics directory, or ``metrics`` under ``state_path``."""
    return os.path.abspath(conf.metrics.directory or os.path.join(conf.state_path, "metrics"))


def database_url(conf: cfg.ConfigOpts) -> str:
    """The configured database URL, or the SQLite default under ``state_path``."""
    if conf.database.connection:
        return str(conf.database.connection)
    return "sqlite:///" + os.path.join(os.path.abspath(conf.state_path), "mogan.sqlite")
