"""Authorization rules in oslo.policy form, with their defaults in code.

An operator's policy file (``[oslo_policy] policy_file``) overrides any rule by name;
``mogan policy sample`` prints them all.
"""

from __future__ import annotations

from typing import Any

from oslo_config import cfg
from oslo_policy import policy

from mogan.core.errors import NotAuthorized
from mogan.services.context import RequestContext

ADMIN_OR_OWNER = "rule:admin_or_owner"
ADMIN_API = "rule:admin_api"
ANYONE = "@"

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
    _api("mogan:instance:create", ANYONE, "Create an instance.", [("POST", "/instances")]),
    _api(
        "mogan:instance:get_all",
        ANYONE,
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
        ADMIN_OR_OWNER,
        "Show an instance.",
        [("GET", "/instances/{instance_ident}")],
    ),
    _api(
        "mogan:instance:update",
        ADMIN_OR_OWNER,
        "Update an instance.",
        [("PATCH", "/instances/{instance_ident}")],
    ),
    _api(
        "mogan:instance:delete",
        ADMIN_OR_OWNER,
        "Delete an instance.",
        [("DELETE", "/instances/{instance_ident}")],
    ),
    _api(
        "mogan:instance:get_states",
        ADMIN_OR_OWNER,
        "Show an instance's power state.",
        [("GET", "/instances/{instance_ident}/states")],
    ),
    _api(
        "mogan:instance:set_power_state",
        ADMIN_OR_OWNER,
        "Change an instance's power state.",
        [("PUT", "/instances/{instance_ident}/states/power")],
    ),
    _api(
        "mogan:instance_type:get",
        ANYONE,
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
        ANYONE,
        "List availability zones.",
        [("GET", "/availability_zones")],
    ),
    _api(
        "mogan:node:get",
        ADMIN_API,
        "List and show nodes.",
        [("GET", "/nodes"), ("GET", "/nodes/{node_ident}")],
    ),
    _api(
        "mogan:node:write",
        ADMIN_API,
        "Enrol, update and delete nodes.",
        [("POST", "/nodes"), ("PATCH", "/nodes/{node_ident}"), ("DELETE", "/nodes/{node_ident}")],
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
        ANYONE,
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
        ANYONE,
        "List and show networks and their ports.",
        [("GET", "/networks"), ("GET", "/networks/{network_uuid}")],
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
    """Checks a context against the rules; raises ``NotAuthorized`` when they say no."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._enforcer = policy.Enforcer(conf)
        self._enforcer.register_defaults(list_rules())

    def authorize(
        self, rule: str, context: RequestContext, target: dict[str, Any] | None = None
    ) -> None:
        target = target if target is not None else {"project_id": context.project_id}
        if not self._enforcer.authorize(rule, target, context.policy_credentials(), do_raise=False):
            raise NotAuthorized(f"Policy does not allow {rule} to be performed.")

    def check(
        self, rule: str, context: RequestContext, target: dict[str, Any] | None = None
    ) -> bool:
        try:
            self.authorize(rule, context, target)
        except NotAuthorized:
            return False
        return True
