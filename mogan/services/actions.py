"""What was done to an instance: its actions (one per request that changed it) and their
events (one per step an engine carried out), as Nova's instance actions.

An instance's owner reads its record while the instance exists; the record outlives it, and
an administrator can read it after the delete (who deleted it, and whether the node came back
clean).
"""

from __future__ import annotations

from dataclasses import dataclass

from mogan.core import hosts
from mogan.core.errors import InvalidInput, NotFound
from mogan.core.identifiers import canonical_uuid
from mogan.db import actions, instances
from mogan.db.database import Database, Executor
from mogan.db.records import ActionEventRow, ActionRow, InstanceRow
from mogan.services.access import authorize_on
from mogan.services.context import RequestContext
from mogan.services.policy import Policy

_READ = "mogan:instance:actions:get"


@dataclass(frozen=True)
class ActionRecord:
    """One action with its events, in the words the caller may read (``mogan.core.hosts``);
    ``show_host`` when the caller may see which engine did each step."""

    action: ActionRow
    events: list[ActionEventRow]
    show_host: bool


class ActionService:
    def __init__(self, db: Database, policy: Policy, max_limit: int) -> None:
        self._db = db
        self._policy = policy
        self._max_limit = max_limit

    def list(
        self, context: RequestContext, ident: str, *, limit: int | None, marker: str | None
    ) -> tuple[list[ActionRow], str | None]:
        """The instance's actions, newest first, one page; the next page's marker."""
        key = self._readable(context, ident)
        size = self._max_limit if limit is None else limit
        if size < 1:
            raise InvalidInput("limit must be a positive integer.")
        try:
            found, more = actions.page(
                self._db, key, limit=min(size, self._max_limit), marker=marker
            )
        except LookupError:
            raise InvalidInput(f"Marker {marker} was not found.") from None
        operator = self._sees_fleet(context)
        shown = [
            a._replace(message=hosts.shown(a.message, operator=operator, project_id=a.project_id))
            for a in found
        ]
        return shown, (found[-1].request_id if more and found else None)

    def _sees_fleet(self, context: RequestContext) -> bool:
        """Whether nodes are named to the caller (else by the project's host ids)."""
        return self._policy.check("mogan:node:get", context)

    def get(self, context: RequestContext, ident: str, request_id: str) -> ActionRecord:
        key = self._readable(context, ident)
        found = actions.get(self._db, key, request_id)
        if found is None:
            raise NotFound(f"Action {request_id} of instance {ident} could not be found.")
        show_host = self._policy.check("mogan:instance:actions:events:host", context)
        action, events = found
        operator = self._sees_fleet(context)
        project_id = action.project_id
        return ActionRecord(
            action._replace(
                message=hosts.shown(action.message, operator=operator, project_id=project_id)
            ),
            [
                e._replace(details=hosts.shown(e.details, operator=operator, project_id=project_id))
                for e in events
            ],
            show_host,
        )

    def _readable(self, context: RequestContext, ident: str) -> str:
        """The instance's uuid, if the caller may read its record (``NotFound`` if not)."""
        key = canonical_uuid(ident)
        if key is None:
            raise NotFound(f"Instance {ident} could not be found.")
        instance = instances.get(self._db, key)
        if instance is not None:
            authorize_on(self._policy, context, _READ, instance.project_id, ident)
            return key
        project_id = actions.project_of(self._db, key)
        # A node's history (its cleans, its inspections) has no project: never an instance's.
        if not project_id or not self._policy.check(
            "mogan:instance:actions:get_deleted", context, {"project_id": project_id}
        ):
            raise NotFound(f"Instance {ident} could not be found.")
        return key


def record_action(
    tx: Executor,
    context: RequestContext,
    instance: InstanceRow,
    action: str,
    *,
    finished: bool = False,
    message: str | None = None,
) -> None:
    """Put the caller's request on the instance's record, in the transaction of its change
    (``finished`` for a change made at once; otherwise the engine records how it ends)."""
    actions.start(
        tx,
        subject_uuid=instance.uuid,
        request_id=context.request_id,
        action=action,
        project_id=instance.project_id,
        user_id=context.user_id or None,
        finished=finished,
        message=message,
    )
