"""An instance's tags, as Nova's server tags: a set of short strings a tenant filters by.

Every change reads the instance's row under its lock and writes the new set in the same
transaction, so concurrent changes serialise and the 50-tag limit holds.
"""

from __future__ import annotations

import builtins

from pydantic import TypeAdapter, ValidationError

from mogan.core import states
from mogan.core.errors import Conflict, InvalidInput, NotFound
from mogan.db import tags
from mogan.db.database import Database, Executor
from mogan.db.records import InstanceRow
from mogan.services import schemas
from mogan.services.access import visible_instance
from mogan.services.context import RequestContext
from mogan.services.policy import Policy

_READ = "mogan:instance:tags:get"
_WRITE = "mogan:instance:tags:update"
_TAG = TypeAdapter(schemas.Tag)


class TagService:
    def __init__(self, db: Database, policy: Policy) -> None:
        self._db = db
        self._policy = policy

    def list(self, context: RequestContext, ident: str) -> builtins.list[str]:
        return [*visible_instance(self._db, self._policy, context, ident, _READ).tags]

    def has(self, context: RequestContext, ident: str, tag: str) -> None:
        """Nothing if the instance has ``tag``; ``NotFound`` if not."""
        instance = visible_instance(self._db, self._policy, context, ident, _READ)
        if tag not in instance.tags:
            raise NotFound(f"Instance {ident} has no tag {tag!r}.")

    def replace(
        self, context: RequestContext, ident: str, new: builtins.list[str]
    ) -> builtins.list[str]:
        """Make the instance's tags exactly ``new`` (validated by ``schemas.TagList``)."""
        with self._db.transaction() as tx:
            instance = self._changeable(context, ident, tx)
            wanted = sorted(set(new))
            tags.change(tx, instance, instance.tags, wanted)
        return wanted

    def add(self, context: RequestContext, ident: str, tag: str) -> bool:
        """Add ``tag``; False when the instance had it already."""
        with self._db.transaction() as tx:
            instance = self._changeable(context, ident, tx)
            _check(tag)
            if tag in instance.tags:
                return False
            if len(instance.tags) >= schemas.MAX_TAGS:
                raise InvalidInput(
                    f"Instance {ident} has {len(instance.tags)} tags, the most it may have; "
                    "remove one first."
                )
            tags.change(tx, instance, instance.tags, [*instance.tags, tag])
        return True

    def remove(self, context: RequestContext, ident: str, tag: str) -> None:
        with self._db.transaction() as tx:
            instance = self._changeable(context, ident, tx)
            if tag not in instance.tags:
                raise NotFound(f"Instance {ident} has no tag {tag!r}.")
            tags.change(tx, instance, instance.tags, [t for t in instance.tags if t != tag])

    def clear(self, context: RequestContext, ident: str) -> None:
        with self._db.transaction() as tx:
            instance = self._changeable(context, ident, tx)
            tags.change(tx, instance, instance.tags, [])

    def _changeable(self, context: RequestContext, ident: str, tx: Executor) -> InstanceRow:
        instance = visible_instance(self._db, self._policy, context, ident, _WRITE, tx)
        if instance.status == states.DELETING:
            raise Conflict(f"Instance {ident} is being deleted; its tags can no longer change.")
        if instance.locked_by == "admin" and not self._policy.check(
            "mogan:instance:ignore_lock", context
        ):
            raise Conflict(
                f"Instance {ident} is locked by an administrator; its tags can change only once "
                "the lock is lifted."
            )
        return instance


def _check(tag: str) -> None:
    try:
        _TAG.validate_python(tag)
    except ValidationError:
        raise InvalidInput(
            f"Invalid tag {tag!r}: a tag is 1 to 60 characters, without '/' or ','."
        ) from None
