"""Who may act on an instance: the one check every instance use case starts with."""

from __future__ import annotations

from mogan.core.errors import NotAuthorized, NotFound
from mogan.core.identifiers import canonical_uuid
from mogan.db import instances
from mogan.db.database import Database, Executor
from mogan.db.records import InstanceRow
from mogan.services.context import RequestContext
from mogan.services.policy import Policy


def visible_instance(
    db: Database,
    policy: Policy,
    context: RequestContext,
    ident: str,
    rule: str,
    tx: Executor | None = None,
) -> InstanceRow:
    """The instance, if the caller may act on it under ``rule`` (read in ``tx``, row locked,
    when given). ``NotFound`` for a missing instance and for another project's (never
    ``403``, which would say it exists)."""
    key = canonical_uuid(ident)
    instance = None
    if key is not None:
        instance = instances.get(db, key) if tx is None else instances.get_locked(tx, key)
    if instance is None:
        raise NotFound(f"Instance {ident} could not be found.")
    authorize_on(policy, context, rule, instance.project_id, ident)
    return instance


def authorize_on(
    policy: Policy, context: RequestContext, rule: str, project_id: str, ident: str
) -> None:
    """``rule`` on an instance of ``project_id``: ``NotAuthorized`` for a caller of its
    project who may not, ``NotFound`` for anyone else (never ``403``, which would say it
    exists)."""
    try:
        policy.authorize(rule, context, {"project_id": project_id})
    except NotAuthorized:
        if project_id != context.project_id:
            raise NotFound(f"Instance {ident} could not be found.") from None
        raise
