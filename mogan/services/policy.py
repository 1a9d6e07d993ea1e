"""Authorization rules in oslo.policy form, with their defaults in code.

An operator's policy file (``[oslo_policy] policy_file``) overrides any rule by name;
``mogan policy sample`` prints them all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from oslo_config import cfg
from oslo_policy import _checks, policy

from mogan.core.errors import NotAuthorized
from mogan.services.context import RequestContext


class _ExtensionChecks(Mapping[str, Callable[..., Any]]):
    """oslo.policy's extension checks (its ``http:`` and ``https:``, and any installed
    plugin's, entry point ``oslo.policy.rule_checks``), each loaded when a rule first names
    its kind.

    oslo.policy loads every one of them the first time it parses a rule, and its ``http:``
    check imports ``requests``: about 5 MiB in every process that checks a policy, for a kind
    of rule Mogan's defaults never use. An operator's policy file may still use any of them.
    """

    def __init__(self) -> None:
        self._points: dict[str, EntryPoint] = {
            point.name: point for point in entry_points(group="oslo.policy.rule_checks")
        }
        self._loaded: dict[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()

    def __getitem__(self, kind: str) -> Callable[..., Any]:
        with self._lock:
            if kind not in self._loaded:
                self._loaded[kind] = self._points[kind].load()
            return self._loaded[kind]

    def __contains__(self, kind: object) -> bool:
        return kind in self._points

    def __iter__(self) -> Iterator[str]:
        return iter(self._points)

    def __len__(self) -> int:
        return len(self._points)


# oslo.policy's parser asks ``_checks.get_extensions()`` for a mapping of kind → check class,
# from the first rule it parses (the defaults below, at import): unless it has built its own,
# it gets the lazy one.
if getattr(_checks, "extension_checks", ()) is None:
    _checks.extension_checks = _ExtensionChecks()  # type: ignore[assignment]


ADMIN_API = "rule:admin_api"
#: Any role of a project may read; writes need ``member`` (OpenStack's default roles, where
#: Keystone's implied roles make every admin a member and every member a reader).
READER = "rule:project_reader"
MEMBER = "rule:project_member"
OWNER_READER = "rule:owner_reader"
OWNER_MEMBER = "rule:owner_member"

BASE_RULES = [
    policy.RuleDefault(
        "context_is_admin", "role:admin", description="Decides what counts as an administrator."
    ),
    policy.RuleDefault("admin_api", "rule:context_is_admin", description="Operator-only actions."),
    policy.RuleDefault(
        "admin_or_owner",
        "is_admin:True or project_id:%(project_id)s",
        description="The owning project, or an administrator.",
    ),
    policy.RuleDefault(
        "project_reader",
        "role:reader or role:member or role:admin",
        description="A caller with any of the default roles of its project: may read.",
    ),
    policy.RuleDefault(
        "project_member",
        "role:member or role:admin",
        description="A member of its project: may create and change things.",
    ),
    policy.RuleDefault(
        "owner_reader",
        "rule:context_is_admin or (rule:project_reader and project_id:%(project_id)s)",
        description="A reader of the project that owns the resource, or an administrator.",
    ),
    policy.RuleDefault(
        "user_reader",
        "rule:context_is_admin or (rule:project_reader and user_id:%(user_id)s)",
        description="A reader acting on its own user's resource, or an administrator.",
    ),
    policy.RuleDefault(
        "user_member",
        "rule:context_is_admin or (rule:project_member and user_id:%(user_id)s)",
        description="A member acting on its own user's resource, or an administrator.",
    ),
    policy.RuleDefault(
        "owner_member",
        "rule:context_is_admin or (rule:project_member and project_id:%(project_id)s)",
        description="A member of the project that owns the resource, or an administrator.",
    ),
]


def _api(
    name: str, check: str, description: str, operations: list[tuple[str, str]]
) -> policy.DocumentedRuleDefault:
    return policy.DocumentedRuleDefault(
        name=name,
        check_str=check,
        description=description,
        operations=[{"method": m, "path": p} for m, p in operations],
    )


API_RULES = [
    _api(
        "mogan:keypair:create",
        "rule:user_member",
        "Create or import a key pair (for another user: administrators).",
        [("POST", "/keypairs")],
    ),
    _api(
        "mogan:keypair:get",
        "rule:user_reader",
        "List and show a user's key pairs.",
        [("GET", "/keypairs"), ("GET", "/keypairs/{keypair_name}")],
    ),
    _api(
        "mogan:keypair:delete",
        "rule:user_member",
        "Delete a key pair.",
        [("DELETE", "/keypairs/{keypair_name}")],
    ),
    _api("mogan:instance:create", MEMBER, "Create an instance.", [("POST", "/instances")]),
    _api(
        "mogan:quota:get",
        ADMIN_API,
        "Show a project's quota limits.",
        [("GET", "/quotas/{project_id}")],
    ),
    _api(
        "mogan:quota:update",
        ADMIN_API,
        "Set a project's quota limits, or reset them to the defaults.",
        [("PUT", "/quotas/{project_id}"), ("DELETE", "/quotas/{project_id}")],
    ),
    _api(
        "mogan:quota:usage",
        OWNER_READER,
        "Show a project's usage against its quotas.",
        [("GET", "/quotas/{project_id}/usage")],
    ),
    _api(
        "mogan:server_group:create",
        MEMBER,
        "Create a server group.",
        [("POST", "/server_groups")],
    ),
    _api(
        "mogan:server_group:get",
        OWNER_READER,
        "List and show server groups.",
        [("GET", "/server_groups"), ("GET", "/server_groups/{group_uuid}")],
    ),
    _api(
        "mogan:server_group:get_all_projects",
        ADMIN_API,
        "List every project's server groups.",
        [("GET", "/server_groups?all_projects=1")],
    ),
    _api(
        "mogan:server_group:delete",
        OWNER_MEMBER,
        "Delete a server group.",
        [("DELETE", "/server_groups/{group_uuid}")],
    ),
    _api(
        "mogan:instance:get_all",
        READER,
        "List the caller's instances.",
        [("GET", "/instances"), ("GET", "/instances/detail")],
    ),
    _api(
        "mogan:instance:get_all_tenants",
        ADMIN_API,
        "List every project's instances.",
        [("GET", "/instances?all_tenants=1")],
    ),
    _api(
        "mogan:instance:get",
        OWNER_READER,
        "Show an instance.",
        [("GET", "/instances/{instance_ident}")],
    ),
    _api(
        "mogan:instance:update",
        OWNER_MEMBER,
        "Update an instance.",
        [("PATCH", "/instances/{instance_ident}")],
    ),
    _api(
        "mogan:instance:delete",
        OWNER_MEMBER,
        "Delete an instance.",
        [("DELETE", "/instances/{instance_ident}")],
    ),
    _api(
        "mogan:instance:get_states",
        OWNER_READER,
        "Show an instance's power state.",
        [("GET", "/instances/{instance_ident}/states")],
    ),
    _api(
        "mogan:instance:set_lock_state",
        OWNER_MEMBER,
        "Lock or unlock an instance (an owner may not lift an administrator's lock).",
        [("PUT", "/instances/{instance_ident}/states/lock")],
    ),
    _api(
        "mogan:instance:ignore_lock",
        ADMIN_API,
        "Change, power or delete a locked instance, and lift anyone's lock.",
        [
            ("PATCH", "/instances/{instance_ident}"),
            ("DELETE", "/instances/{instance_ident}"),
            ("PUT", "/instances/{instance_ident}/states/power"),
            ("PUT", "/instances/{instance_ident}/states/lock"),
        ],
    ),
    _api(
        "mogan:instance:rebuild",
        OWNER_MEMBER,
        "Rebuild an instance on its node from an image.",
        [("PUT", "/instances/{instance_ident}/states/provision")],
    ),
    _api(
        "mogan:instance:rescue",
        OWNER_MEMBER,
        "Boot an instance's node into a rescue system, its own disk left untouched.",
        [("POST", "/instances/{instance_ident}/states/rescue")],
    ),
    _api(
        "mogan:instance:unrescue",
        OWNER_MEMBER,
        "Boot a rescued instance's own disk again.",
        [("DELETE", "/instances/{instance_ident}/states/rescue")],
    ),
    _api(
        "mogan:instance:console",
        OWNER_MEMBER,
        "Open an instance's serial console (a single-use ticket for the console proxy).",
        [("POST", "/instances/{instance_ident}/remote_consoles")],
    ),
    _api(
        "mogan:instance:interfaces",
        OWNER_MEMBER,
        "Attach an interface to an instance, or detach one.",
        [
            ("POST", "/instances/{instance_ident}/networks/interfaces"),
            ("DELETE", "/instances/{instance_ident}/networks/interfaces/{port_id}"),
        ],
    ),
    _api(
        "mogan:instance:floatingips",
        OWNER_MEMBER,
        "Associate a floating IP with an instance, or disassociate it (Neutron only).",
        [
            ("POST", "/instances/{instance_ident}/networks/floatingips"),
            ("DELETE", "/instances/{instance_ident}/networks/floatingips/{address}"),
        ],
    ),
    _api(
        "mogan:instance:tags:get",
        OWNER_READER,
        "List an instance's tags, or check one.",
        [
            ("GET", "/instances/{instance_ident}/tags"),
            ("GET", "/instances/{instance_ident}/tags/{tag}"),
        ],
    ),
    _api(
        "mogan:instance:tags:update",
        OWNER_MEMBER,
        "Add, replace and remove an instance's tags.",
        [
            ("PUT", "/instances/{instance_ident}/tags"),
            ("DELETE", "/instances/{instance_ident}/tags"),
            ("PUT", "/instances/{instance_ident}/tags/{tag}"),
            ("DELETE", "/instances/{instance_ident}/tags/{tag}"),
        ],
    ),
    _api(
        "mogan:instance:actions:get",
        OWNER_READER,
        "List and show the actions on an instance and their events.",
        [
            ("GET", "/instances/{instance_ident}/actions"),
            ("GET", "/instances/{instance_ident}/actions/{request_id}"),
        ],
    ),
    _api(
        "mogan:instance:actions:get_deleted",
        ADMIN_API,
        "Read the actions on an instance that has been deleted.",
        [
            ("GET", "/instances/{instance_ident}/actions"),
            ("GET", "/instances/{instance_ident}/actions/{request_id}"),
        ],
    ),
    _api(
        "mogan:instance:actions:events:host",
        ADMIN_API,
        "See which engine carried out each event of an action.",
        [("GET", "/instances/{instance_ident}/actions/{request_id}")],
    ),
    _api(
        "mogan:instance:set_power_state",
        OWNER_MEMBER,
        "Change an instance's power state.",
        [("PUT", "/instances/{instance_ident}/states/power")],
    ),
    _api(
        "mogan:instance_type:get",
        READER,
        "List and show instance types.",
        [
            ("GET", "/types"),
            ("GET", "/types/{type_uuid}"),
            ("GET", "/types/{type_uuid}/extraspecs"),
        ],
    ),
    _api("mogan:instance_type:create", ADMIN_API, "Create an instance type.", [("POST", "/types")]),
    _api(
        "mogan:instance_type:update",
        ADMIN_API,
        "Update a type and its extra specs.",
        [
            ("PUT", "/types/{type_uuid}"),
            ("PATCH", "/types/{type_uuid}/extraspecs"),
            ("DELETE", "/types/{type_uuid}/extraspecs/{key}"),
        ],
    ),
    _api(
        "mogan:instance_type:delete",
        ADMIN_API,
        "Delete an instance type.",
        [("DELETE", "/types/{type_uuid}")],
    ),
    _api(
        "mogan:instance_type:access",
        ADMIN_API,
        "Manage a private type's project list.",
        [
            ("GET", "/types/{type_uuid}/access"),
            ("POST", "/types/{type_uuid}/access"),
            ("DELETE", "/types/{type_uuid}/access/{project_id}"),
        ],
    ),
    _api(
        "mogan:availability_zone:get_all",
        READER,
        "List availability zones.",
        [("GET", "/availability_zones")],
    ),
    _api(
        "mogan:node:get",
        ADMIN_API,
        "List and show nodes, their inventories, histories and validation, and the syncs.",
        [
            ("GET", "/nodes"),
            ("GET", "/nodes/sync"),
            ("GET", "/nodes/{node_ident}"),
            ("GET", "/nodes/{node_ident}/validate"),
            ("GET", "/nodes/{node_ident}/inventory"),
            ("GET", "/nodes/{node_ident}/history"),
        ],
    ),
    _api(
        "mogan:node:write",
        ADMIN_API,
        "Enrol, update and delete nodes.",
        [("POST", "/nodes"), ("PATCH", "/nodes/{node_ident}"), ("DELETE", "/nodes/{node_ident}")],
    ),
    _api(
        "mogan:node:verify",
        ADMIN_API,
        "Check a node's BMC and interfaces again (an enrolment whose check failed, retried).",
        [("POST", "/nodes/{node_ident}/verify")],
    ),
    _api(
        "mogan:node:inspect",
        ADMIN_API,
        "Inspect a node: fill its properties and NICs from its hardware.",
        [("POST", "/nodes/{node_ident}/inspect")],
    ),
    _api(
        "mogan:node:clean",
        ADMIN_API,
        "Clean a node that serves no instance (wipe its disks as a mode says).",
        [("POST", "/nodes/{node_ident}/clean")],
    ),
    _api(
        "mogan:metrics:get",
        ADMIN_API,
        "Read the Prometheus metrics of the API's and engines' processes and of the fleet.",
        [("GET", "/metrics")],
    ),
    _api(
        "mogan:deploy_template:get",
        ADMIN_API,
        "List and show deploy templates.",
        [("GET", "/deploy_templates"), ("GET", "/deploy_templates/{template_ident}")],
    ),
    _api(
        "mogan:deploy_template:write",
        ADMIN_API,
        "Create, update and delete deploy templates.",
        [
            ("POST", "/deploy_templates"),
            ("PATCH", "/deploy_templates/{template_ident}"),
            ("DELETE", "/deploy_templates/{template_ident}"),
        ],
    ),
    _api(
        "mogan:node:traits",
        ADMIN_API,
        "Set, add or remove a node's traits (what types select with trait: specs).",
        [
            ("PUT", "/nodes/{node_ident}/traits"),
            ("PUT", "/nodes/{node_ident}/traits/{trait}"),
            ("DELETE", "/nodes/{node_ident}/traits/{trait}"),
        ],
    ),
    _api(
        "mogan:node:maintenance",
        ADMIN_API,
        "Put a node in maintenance, or lift it (which cleans a node whose clean failed).",
        [("PUT", "/nodes/{node_ident}/maintenance"), ("DELETE", "/nodes/{node_ident}/maintenance")],
    ),
    _api(
        "mogan:node:sync",
        ADMIN_API,
        "Sync the nodes of Ironic (or another owner service) now.",
        [("POST", "/nodes/sync")],
    ),
    _api(
        "mogan:manageable_instance:get_all",
        ADMIN_API,
        "List deployed nodes that serve no instance and can be adopted.",
        [("GET", "/manageable_instances")],
    ),
    _api(
        "mogan:manageable_instance:adopt",
        ADMIN_API,
        "Adopt a deployed node as an instance of a project, without redeploying it.",
        [("POST", "/manageable_instances")],
    ),
    _api(
        "mogan:image:get",
        READER,
        "List and show images.",
        [("GET", "/images"), ("GET", "/images/{image_uuid}")],
    ),
    _api(
        "mogan:image:write",
        ADMIN_API,
        "Create, update and delete images.",
        [
            ("POST", "/images"),
            ("PATCH", "/images/{image_uuid}"),
            ("DELETE", "/images/{image_uuid}"),
        ],
    ),
    _api(
        "mogan:network:get",
        READER,
        "List and show networks, and the ports of the caller's instances on them.",
        [
            ("GET", "/networks"),
            ("GET", "/networks/{network_uuid}"),
            ("GET", "/networks/{network_uuid}/ports"),
        ],
    ),
    _api(
        "mogan:network:get_all_ports",
        ADMIN_API,
        "See every project's ports on a network (MACs, addresses, instances), not only the "
        "caller's own.",
        [("GET", "/networks/{network_uuid}/ports")],
    ),
    _api(
        "mogan:network:write",
        ADMIN_API,
        "Create, update and delete networks.",
        [
            ("POST", "/networks"),
            ("PATCH", "/networks/{network_uuid}"),
            ("DELETE", "/networks/{network_uuid}"),
        ],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """Every rule with its default (entry point ``oslo.policy.policies``)."""
    return [*BASE_RULES, *API_RULES]


class Policy:
    """Checks a context against the rules; raises ``NotAuthorized`` when they say no.

    Decisions are remembered for at most ``RELOAD_CHECK_INTERVAL`` seconds. oslo.policy looks
    for its policy files on disk and inspects every check's signature on each call (more
    work than a GET's database query); a request needs the answer to the same question
    thousands of times a second. Once per interval the files are re-read if they changed and
    the memo is emptied, so an operator's edit to the policy file applies within that interval,
    as it would on the next request without the memo.
    """

    RELOAD_CHECK_INTERVAL = 1.0
    #: Bounds the memo between reloads (distinct callers x rules x targets).
    MEMO_SIZE = 10_000

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._enforcer = policy.Enforcer(conf)
        self._enforcer.register_defaults(list_rules())
        self._memo: dict[Hashable, bool] = {}
        self._next_reload = 0.0
        self._reload_lock = threading.Lock()

    def authorize(
        self, rule: str, context: RequestContext, target: dict[str, Any] | None = None
    ) -> None:
        if target is None:  # the caller's own: what a rule allows them on their own things
            target = {"project_id": context.project_id, "user_id": context.user_id}
        if not self._allowed(rule, context, target):
            raise NotAuthorized(f"Policy does not allow {rule} to be performed.")

    def check(
        self, rule: str, context: RequestContext, target: dict[str, Any] | None = None
    ) -> bool:
        try:
            self.authorize(rule, context, target)
        except NotAuthorized:
            return False
        return True

    def _allowed(self, rule: str, context: RequestContext, target: dict[str, Any]) -> bool:
        self._reload_if_due()
        key = _memo_key(rule, context, target)
        known = self._memo.get(key) if key is not None else None
        if known is not None:
            return known
        allowed = bool(
            self._enforcer.authorize(rule, target, context.policy_credentials(), do_raise=False)
        )
        if key is not None and len(self._memo) < self.MEMO_SIZE:
            self._memo[key] = allowed
        return allowed

    def _reload_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_reload or not self._reload_lock.acquire(blocking=False):
            return
        try:
            self._enforcer.load_rules()
            self._memo = {}
            self._next_reload = now + self.RELOAD_CHECK_INTERVAL
        finally:
            self._reload_lock.release()


def _memo_key(rule: str, context: RequestContext, target: dict[str, Any]) -> Hashable | None:
    """Everything a decision depends on, or None when some value cannot be a key."""
    key = (
        rule,
        tuple(sorted(target.items())),
        context.project_id,
        context.user_id,
        context.roles,
        tuple(sorted(context.extra.items())),
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key
