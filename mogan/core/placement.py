"""Does a node fit an instance type's extra specs and the requested networks?

Pure functions; the scheduler prefilters candidates in SQL (zone, maintenance, free, resource
class) and uses these for what SQL cannot express portably (capabilities, NIC fit), as the
original Mogan and Nova's ``ComputeCapabilitiesFilter`` did.

Extra spec keys understood:

- ``resources:CUSTOM_<CLASS>=1``: the node's resource class, normalized by
  :func:`resource_class_trait`. ``resources:<anything else>`` is ignored (Nova's VCPU/MEMORY
  overrides mean nothing for a whole machine).
- ``capabilities:<key>`` or a bare ``<key>`` (no scope): matched against the node's
  capabilities with the operators of :func:`match_value`.
- ``mogan:dedicated=true``: only nodes dedicated to the instance's project (its ``owner`` or
  ``lessee``), never the shared pool.
- ``trait:<NAME>=required`` / ``=forbidden``: only nodes that have (do not have) the trait
  (Nova's and Placement's spelling; the node's traits are set as Ironic's are).
- Any other scoped key (``hw:`` …) is not a placement constraint and is ignored.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

_NON_ALNUM = re.compile(r"[^A-Z0-9_]")


def resource_class_trait(resource_class: str | None) -> str | None:
    """``baremetal-gold`` -> ``CUSTOM_BAREMETAL_GOLD`` (the Placement convention)."""
    if not resource_class:
        return None
    return "CUSTOM_" + _NON_ALNUM.sub("_", resource_class.upper())


def parse_capabilities(raw: object) -> dict[str, str]:
    """Capabilities as a dict, from a dict or Ironic's ``"k1:v1,k2:v2"`` string form."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, str):
        pairs = (item.split(":", 1) for item in raw.split(",") if item.strip())
        return {k.strip(): v.strip() for k, v in (p if len(p) == 2 else (p[0], "") for p in pairs)}
    raise ValueError("capabilities must be an object or a 'key:value,…' string")


def _numeric(op: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def compare(actual: str, wanted: str) -> bool:
        try:
            return op(float(actual), float(wanted))
        except ValueError:
            return False

    return compare


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "=": _numeric(operator.ge),  # Nova's historic meaning: "at least"
    "==": _numeric(operator.eq),
    "!=": _numeric(operator.ne),
    ">=": _numeric(operator.ge),
    "<=": _numeric(operator.le),
    "s==": operator.eq,
    "s!=": operator.ne,
    "s>=": operator.ge,
    "s>": operator.gt,
    "s<=": operator.le,
    "s<": operator.lt,
    "<in>": lambda actual, wanted: wanted in actual,
}


def match_value(actual: str | None, requirement: str) -> bool:
    """Match one capability value against an extra spec value.

    ``requirement`` is ``"<op> <value>"`` with op one of ``=`` (numeric at least), ``==``,
    ``!=``, ``>=``, ``<=`` (numeric), ``s==``, ``s!=``, ``s>=``, ``s>``, ``s<=``, ``s<``
    (string), ``<in>`` (substring), ``<or> a <or> b`` (any of); with no operator it is a
    plain string equality.
    """
    if actual is None:
        return False
    words = requirement.split()
    if not words:
        return actual == requirement
    op = words[0]
    if op == "<or>":
        choices = [w for w in words[1:] if w != "<or>"]
        return actual in choices
    compare = _OPERATORS.get(op)
    if compare is None or len(words) < 2:
        return actual == requirement
    return compare(actual, " ".join(words[1:]))


@dataclass(frozen=True)
class TypeRequirements:
    """What an instance type demands of a node, derived from its extra specs."""

    resource_class_trait: str | None
    capabilities: Mapping[str, str]
    #: Only nodes dedicated to the project (``mogan:dedicated=true``).
    dedicated: bool = False
    #: ``trait:<NAME>=required`` and ``=forbidden``, sorted.
    required_traits: tuple[str, ...] = ()
    forbidden_traits: tuple[str, ...] = ()

    @classmethod
    def from_extra_specs(cls, extra_specs: Mapping[str, str]) -> TypeRequirements:
        trait = None
        dedicated = str(extra_specs.get("mogan:dedicated", "")).strip().lower() in ("true", "1")
        capabilities: dict[str, str] = {}
        required: set[str] = set()
        forbidden: set[str] = set()
        for key, value in extra_specs.items():
            scope, _, name = key.partition(":")
            wanted = str(value).strip().lower()
            if scope == "trait" and name and wanted in ("required", "forbidden"):
                (required if wanted == "required" else forbidden).add(name)
            elif not name:  # bare key: a capability
                capabilities[key] = value
            elif scope == "capabilities":
                capabilities[name] = value
            elif scope == "resources" and name.startswith("CUSTOM_") and str(value).strip() == "1":
                trait = name
        return cls(
            resource_class_trait=trait,
            capabilities=capabilities,
            dedicated=dedicated,
            required_traits=tuple(sorted(required)),
            forbidden_traits=tuple(sorted(forbidden)),
        )

    def capabilities_match(self, node_capabilities: Mapping[str, str]) -> bool:
        return all(
            match_value(node_capabilities.get(key), wanted)
            for key, wanted in self.capabilities.items()
        )


@dataclass(frozen=True)
class GroupPolicy:
    """The server group the instance joins: its uuid, policy and ``max_server_per_host``."""

    uuid: str
    policy: str
    max_per_domain: int = 1


@dataclass(frozen=True)
class NetworkRequest:
    """A NIC the instance needs: on network ``net_id`` (of Mogan's, or Neutron's), of
    ``port_type`` when given; on Neutron, through the tenant's port ``port_id`` (its network
    is ``net_id``) or a new port at ``fixed_ip``."""

    net_id: str
    port_type: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None


def assign_nics(
    nics: Sequence[tuple[str, str | None]], requests: Iterable[NetworkRequest]
) -> list[str] | None:
    """Pick one distinct NIC per requested network, or ``None`` when the node cannot serve them.

    ``nics`` are ``(nic_uuid, port_type)`` pairs. Requests naming a port type are served first
    so a port-type-agnostic request never takes the only NIC of a wanted type.
    Returns the NIC uuids in the order of ``requests``.
    """
    requests = list(requests)
    free = list(nics)
    chosen: dict[int, str] = {}
    order = sorted(range(len(requests)), key=lambda i: requests[i].port_type is None)
    for index in order:
        wanted = requests[index].port_type
        for position, (nic_uuid, port_type) in enumerate(free):
            if wanted is None or port_type == wanted:
                chosen[index] = nic_uuid
                del free[position]
                break
        else:
            return None
    return [chosen[i] for i in range(len(requests))]
