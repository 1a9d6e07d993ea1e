"""Key pairs: each user's SSH public keys, which instances are given at create.

As Nova's: a key pair belongs to a user (not a project) and is named per user; a generated
pair's private key is returned once, in the answer to its creation, and never stored. An
administrator may act for another user (``user_id``); anyone else only for themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from mogan.core import keys, quotas
from mogan.core.clock import utcnow
from mogan.core.errors import Conflict, InvalidInput, NotFound
from mogan.db import keypairs
from mogan.db import quotas as quota_data
from mogan.db.database import Database, Duplicate
from mogan.db.records import KeyPairRow
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.policy import Policy


@dataclass(frozen=True)
class CreatedKeyPair:
    keypair: KeyPairRow
    #: Only for a generated pair, only in this answer.
    private_key: str | None = None


class KeypairService:
    def __init__(
        self,
        db: Database,
        policy: Policy,
        max_limit: int,
        defaults: quotas.Limits | None = None,
    ) -> None:
        self._defaults = defaults or quotas.Limits()
        self._db = db
        self._policy = policy
        self._max_limit = max_limit

    def create(self, context: RequestContext, request: schemas.KeypairCreate) -> CreatedKeyPair:
        user = self._user(context, request.user_id, "mogan:keypair:create")
        private = None
        if request.public_key is None:
            pair = keys.generate()
            public, private = pair.public, pair.private_openssh
        else:
            try:
                public = keys.parse_public_key(request.public_key)
            except ValueError as exc:
                raise InvalidInput(f"Invalid value for field 'public_key': {exc}.") from None
        keypair = KeyPairRow(
            user_id=user,
            name=request.name,
            project_id=context.project_id,
            type=request.type,
            public_key=public.openssh,
            fingerprint=public.fingerprint,
            created_at=utcnow(),
        )
        try:
            with self._db.transaction() as tx:
                limit = quota_data.limits(tx, context.project_id, self._defaults).keypairs
                if limit != quotas.UNLIMITED:
                    quota_data.lock_user(tx, user)
                    quotas.check(quotas.KEYPAIRS, limit, quota_data.keypairs_held(tx, user))
                keypairs.add(tx, keypair)
        except Duplicate:
            raise Conflict(f"Key pair {request.name!r} already exists for user {user}.") from None
        return CreatedKeyPair(keypair, private)

    def list(
        self,
        context: RequestContext,
        *,
        user_id: str | None,
        limit: int | None,
        marker: str | None,
    ) -> tuple[list[KeyPairRow], str | None]:
        user = self._user(context, user_id, "mogan:keypair:get")
        size = self._max_limit if limit is None else limit
        if size < 1:
            raise InvalidInput("limit must be a positive integer.")
        size = min(size, self._max_limit)
        found = keypairs.of_user(self._db, user, limit=size + 1, marker=marker)
        more = len(found) > size
        found = found[:size]
        return found, (found[-1].name if more else None)

    def get(self, context: RequestContext, name: str, *, user_id: str | None) -> KeyPairRow:
        user = self._user(context, user_id, "mogan:keypair:get")
        keypair = keypairs.get(self._db, user, name)
        if keypair is None:
            raise NotFound(f"Key pair {name} could not be found.")
        return keypair

    def delete(self, context: RequestContext, name: str, *, user_id: str | None) -> None:
        user = self._user(context, user_id, "mogan:keypair:delete")
        with self._db.transaction() as tx:
            if not keypairs.delete_one(tx, user, name):
                raise NotFound(f"Key pair {name} could not be found.")

    def _user(self, context: RequestContext, user_id: str | None, rule: str) -> str:
        """Whose key pairs: ``user_id`` if the caller may act for that user, else the caller's."""
        user = user_id or context.user_id
        self._policy.authorize(rule, context, {"user_id": user, "project_id": context.project_id})
        if not user:
            raise InvalidInput(
                "Key pairs belong to users, and this request names none (X-User-Id)."
            )
        return user
