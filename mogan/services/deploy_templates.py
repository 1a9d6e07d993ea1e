"""Deploy templates (Ironic's ``/v1/deploy_templates``): an operator's BIOS and RAID steps,
named after the trait an instance type requires to get them.

Steps are checked on the way in (``schemas.DeployStep``): an unknown interface, step or
argument is a 400 that names it, and nothing is stored.
"""

from __future__ import annotations

import builtins
import uuid as uuid_module
from typing import Any

from pydantic import ValidationError

from mogan.core.clock import utcnow
from mogan.core.errors import Conflict, InvalidInput, NotFound
from mogan.core.pagination import PageRequest
from mogan.db import deploy_templates
from mogan.db.database import Database, Duplicate, Executor
from mogan.db.records import DeployTemplateRow
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.patching import apply_patch
from mogan.services.policy import Policy

_WRITABLE = ("/name", "/steps", "/extra")


class DeployTemplateService:
    def __init__(self, db: Database, policy: Policy, max_limit: int) -> None:
        self._db, self._policy, self._max_limit = db, policy, max_limit

    def list(
        self, context: RequestContext, page: PageRequest
    ) -> tuple[builtins.list[DeployTemplateRow], str | None]:
        self._policy.authorize("mogan:deploy_template:get", context)
        found = deploy_templates.TEMPLATES.page(
            self._db,
            page,
            sort_keys=deploy_templates.SORT_KEYS,
            default_sort="created_at",
            max_limit=self._max_limit,
        )
        return found.items, found.next_marker

    def get(self, context: RequestContext, ident: str) -> DeployTemplateRow:
        self._policy.authorize("mogan:deploy_template:get", context)
        return self._find(ident, self._db)

    def create(
        self, context: RequestContext, request: schemas.DeployTemplateCreate
    ) -> DeployTemplateRow:
        self._policy.authorize("mogan:deploy_template:write", context)
        row = DeployTemplateRow(
            uuid=request.uuid or str(uuid_module.uuid4()),
            created_at=utcnow(),
            updated_at=None,
            name=request.name,
            steps=[step.model_dump() for step in request.steps],
            extra=dict(request.extra),
        )
        try:
            with self._db.transaction() as tx:
                deploy_templates.TEMPLATES.add(tx, row)
        except Duplicate:
            raise Conflict(
                f"A deploy template named {row.name} or with UUID {row.uuid} already exists."
            ) from None
        return row

    def update(self, context: RequestContext, ident: str, patch: Any) -> DeployTemplateRow:
        """JSON Patch of ``/name``, ``/steps``, ``/extra``; the result is checked whole."""
        self._policy.authorize("mogan:deploy_template:write", context)
        try:
            with self._db.transaction() as tx:
                row = self._find(ident, tx)
                document = {"name": row.name, "steps": row.steps, "extra": row.extra}
                changed = apply_patch(document, patch, _WRITABLE)
                try:
                    checked = schemas.DeployTemplateCreate.model_validate(changed)
                except ValidationError as exc:
                    raise InvalidInput(schemas.describe(exc)) from None
                values: dict[str, Any] = {
                    "name": checked.name,
                    "steps": [step.model_dump() for step in checked.steps],
                    "extra": dict(checked.extra),
                    "updated_at": utcnow(),
                }
                deploy_templates.TEMPLATES.update(tx, row.uuid, **values)
        except Duplicate:
            raise Conflict("Another deploy template has that name.") from None
        return row._replace(**values)

    def delete(self, context: RequestContext, ident: str) -> None:
        self._policy.authorize("mogan:deploy_template:write", context)
        with self._db.transaction() as tx:
            deploy_templates.TEMPLATES.delete(tx, self._find(ident, tx).uuid)

    def _find(self, ident: str, source: Database | Executor) -> DeployTemplateRow:
        found = deploy_templates.find(source, ident)
        if found is None:
            raise NotFound(f"Deploy template {ident} could not be found.")
        return found
