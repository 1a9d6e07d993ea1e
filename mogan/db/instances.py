"""The instances' data: every statement on ``instances`` and their faults.

Reads return ``InstanceRow`` / ``FaultRow`` records. Writes take the caller's transaction
(``Database.transaction()``), so a use case composes them with other aggregates' writes
(an instance and its operation commit together). Every status change is a compare-and-set
made here, and is checked against ``mogan.core.states.TRANSITIONS`` first: a move the table
does not allow raises ``IllegalTransition`` before any statement runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    bindparam,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Connection

from mogan.core import secrets
from mogan.core.errors import InvalidInput
from mogan.core.pagination import Page, PageRequest
from mogan.core.states import ACTIVE, BUILDING, INITIAL, IllegalTransition, check_transition
from mogan.db import tags
from mogan.db.database import Database, Executor, affected
from mogan.db.models import (
    IMAGES,
    INSTANCE_FAULTS,
    INSTANCE_TAGS,
    INSTANCE_TYPE_EXTRA_SPECS,
    INSTANCE_TYPES,
    INSTANCES,
    NETWORKS,
    NODES,
    utcnow,
)
from mogan.db.pagination import paginate
from mogan.db.records import FaultRow, ImageRow, InstanceRow, NodeRow
from mogan.db.table import columns_of
from mogan.db.types import visible_to

_FAULTS = INSTANCE_FAULTS
_TAGS = INSTANCE_TAGS
#: A list filtered by one tag orders by the tag rows' copies of the list's order.
_TAGGED_ORDER = SimpleNamespace(created_at=_TAGS.c.created_at, uuid=_TAGS.c.instance_uuid)

#: Every column of ``instances``, as plain rows (building ORM objects cost more than the query).
_ROWS = select(*columns_of(INSTANCES, InstanceRow))
#: One instance by uuid, built once: building it per GET cost a sixth of the GET.
_ONE = _ROWS.where(INSTANCES.c.uuid == bindparam("uuid"))
_ONE_FOR_UPDATE = _ONE.with_for_update()
_INSERT = insert(INSTANCES)
_COLUMNS = tuple(column.key for column in INSTANCES.columns)
#: The SET clause is the other parameters' columns (one prebuilt statement for every caller;
#: the bind names stay clear of the column names).
_UPDATE = update(INSTANCES).where(INSTANCES.c.uuid == bindparam("updating_uuid"))
_MOVE = update(INSTANCES).where(
    INSTANCES.c.uuid == bindparam("moving_uuid"),
    INSTANCES.c.status.in_(bindparam("moving_from", expanding=True)),
)
_REQUEST_POWER = (
    update(INSTANCES)
    .where(
        INSTANCES.c.uuid == bindparam("requesting_uuid"),
        INSTANCES.c.status == ACTIVE,
        INSTANCES.c.target_power_state.is_(None),
    )
    .values(target_power_state=bindparam("target"))
)
_ADD_FAULT = insert(_FAULTS)

SORT_KEYS = ("created_at", "name", "uuid", "status")
FILTERS = (
    "name",
    "status",
    "instance_type_uuid",
    "image_uuid",
    "availability_zone",
    "reservation_id",
)


# -- reads -------------------------------------------------------------------------------------


def get(db: Database, uuid: str) -> InstanceRow | None:
    """The instance, read the fastest way there is (it is what clients poll)."""
    row = db.read_one(_ONE, {"uuid": uuid})
    return None if row is None else InstanceRow._make(row)


def get_many(db: Database, uuids: Sequence[str]) -> dict[str, InstanceRow]:
    """Those of ``uuids`` that are instances, by uuid: one query."""
    if not uuids:
        return {}
    query = _ROWS.where(INSTANCES.c.uuid.in_(sorted(set(uuids))))
    with db.read_rows() as connection:
        return {row.uuid: InstanceRow._make(row) for row in connection.execute(query)}


def get_locked(tx: Connection, uuid: str) -> InstanceRow | None:
    """The instance, its row locked until the caller's transaction ends (on PostgreSQL;
    SQLite's write transactions are serialized already)."""
    locking = tx.dialect.name != "sqlite"
    row = tx.execute(_ONE_FOR_UPDATE if locking else _ONE, {"uuid": uuid}).first()
    return None if row is None else InstanceRow._make(row)


def page(
    db: Database,
    request: PageRequest,
    *,
    project_id: str | None,
    filters: dict[str, str],
    max_limit: int,
) -> Page[InstanceRow]:
    """One page of the instances of ``project_id`` (every project's when None), filtered by
    exact values of ``FILTERS`` and by tags (``tags.FILTERS``); ``InvalidInput`` names an
    unknown filter."""
    query = _ROWS
    if project_id is not None:
        query = query.where(INSTANCES.c.project_id == project_id)
    visible = query  # a marker need only be visible to the caller, whatever the filters
    order_columns = None
    for name, value in filters.items():
        if name in tags.FILTERS:
            wanted = [t for t in value.split(",") if t]
            if not wanted:
                raise InvalidInput(f"Filter '{name}' needs at least one tag.")
            tag = tags.single(name, wanted)
            if tag is not None and order_columns is None and _by_creation(request):
                # The tag's rows, walked in the page's order (their index holds created_at),
                # each joined to its instance: a page read, however many have the tag.
                query = query.join(
                    _TAGS, (_TAGS.c.instance_uuid == INSTANCES.c.uuid) & (_TAGS.c.tag == tag)
                )
                order_columns = _TAGGED_ORDER
                continue
            query = query.where(tags.condition(name, wanted))
            continue
        if name not in FILTERS:
            raise InvalidInput(f"Unknown filter '{name}'.")
        query = query.where(INSTANCES.c[name] == value)
    with db.read_rows() as connection:
        result = paginate(
            connection,
            query,
            INSTANCES.c,
            request,
            sort_keys=SORT_KEYS,
            default_sort="created_at",
            max_limit=max_limit,
            marker_visible=visible,
            order_columns=order_columns,
        )
    return Page([InstanceRow._make(row) for row in result.items], result.next_marker)


def _by_creation(request: PageRequest) -> bool:
    return (request.sort_key or "created_at") == "created_at"


def latest_faults(db: Database, instances: Sequence[InstanceRow]) -> dict[str, FaultRow]:
    """The newest fault of each of ``instances`` that has one."""
    if not instances:
        return {}
    newest = (
        select(func.max(_FAULTS.c.id))
        .where(_FAULTS.c.instance_uuid.in_([i.uuid for i in instances]))
        .group_by(_FAULTS.c.instance_uuid)
    )
    with db.read_rows() as connection:
        faults = select(*columns_of(_FAULTS, FaultRow)).where(_FAULTS.c.id.in_(newest))
        return {row.instance_uuid: FaultRow._make(row) for row in connection.execute(faults)}


@dataclass
class References:
    """What a new instance names, as found: the type's extra specs (None when the type is
    not there or not visible), whether the image exists, which networks exist."""

    extra_specs: dict[str, str] | None = None
    image_found: bool = False
    networks_found: set[str] = field(default_factory=set)


def _references(visible_only: bool) -> CompoundSelect:
    """(kind, key, value) rows: a ``type`` row per extra spec of the type (one row of NULLs
    for a type without any; none if it is not there, or not visible to ``project`` when
    ``visible_only``), an ``image`` row if the image exists, a ``network`` row (its uuid)
    for each of ``networks`` that exists. One round trip instead of three."""
    types, specs = INSTANCE_TYPES, INSTANCE_TYPE_EXTRA_SPECS
    type_rows = (
        select(literal("type"), specs.c.key, specs.c.value)
        .select_from(types.outerjoin(specs, specs.c.type_uuid == types.c.uuid))
        .where(types.c.uuid == bindparam("type"))
    )
    if visible_only:
        type_rows = type_rows.where(visible_to(bindparam("project")))
    images, networks = IMAGES, NETWORKS
    image_row = select(literal("image"), images.c.uuid, null()).where(
        images.c.uuid == bindparam("image")
    )
    network_rows = select(literal("network"), networks.c.uuid, null()).where(
        networks.c.uuid.in_(bindparam("networks", expanding=True))
    )
    return union_all(type_rows, image_row, network_rows)


_REFERENCES_VISIBLE = _references(visible_only=True)
_REFERENCES_ANY = _references(visible_only=False)
_ZONE = (
    select(NODES.c.availability_zone).where(NODES.c.availability_zone == bindparam("zone")).limit(1)
)


def references(
    executor: Executor,
    *,
    type_uuid: str,
    image_uuid: str,
    network_uuids: list[str],
    visible_to_project: str | None,
) -> References:
    """What a create names, in one query; the type must be visible to
    ``visible_to_project`` unless that is None (an administrator sees every type)."""
    found = References()
    statement = _REFERENCES_ANY if visible_to_project is None else _REFERENCES_VISIBLE
    params = {
        "type": type_uuid,
        "image": image_uuid,
        "networks": network_uuids,
        "project": visible_to_project,
    }
    for kind, key, value in executor.execute(statement, params):
        if kind == "type":
            specs = found.extra_specs if found.extra_specs is not None else {}
            if key is not None and value is not None:
                specs[key] = value
            found.extra_specs = specs
        elif kind == "image":
            found.image_found = True
        else:
            found.networks_found.add(key)
    return found


def zone_exists(executor: Executor, zone: str) -> bool:
    """Whether any node is in availability zone ``zone``."""
    return executor.execute(_ZONE, {"zone": zone}).first() is not None


# -- writes ------------------------------------------------------------------------------------


def add(executor: Executor, row: InstanceRow) -> None:
    """Add the instance, in the caller's transaction; it must start as ``INITIAL``."""
    if row.status != INITIAL:
        raise IllegalTransition(f"An instance starts {INITIAL!r}, not {row.status!r}.")
    executor.execute(_INSERT, {name: getattr(row, name) for name in _COLUMNS})
    tags.add_new(executor, row, row.tags)


def update_fields(executor: Executor, uuid: str, **values: Any) -> None:
    """Set columns that are not its status (use ``move`` for that), in the caller's
    transaction; ``updated_at`` moves on."""
    if "status" in values:
        raise ValueError("an instance's status changes only through move()")
    executor.execute(_UPDATE, {"updating_uuid": uuid, **values})


def move(
    executor: Executor, instance_uuid: str, expected: str | Iterable[str], **values: Any
) -> bool:
    """If the instance's status is (one of) ``expected``, set ``values`` — a new ``status``
    among them, if any — in the caller's transaction; False when it had moved on meanwhile.

    Raises ``IllegalTransition`` when ``status`` is not reachable from every ``expected``.
    """
    allowed = [expected] if isinstance(expected, str) else list(expected)
    new_status = values.get("status")
    if new_status is not None:
        for current in allowed:
            check_transition(current, new_status)
    params = {"moving_uuid": instance_uuid, "moving_from": allowed, **values}
    return bool(affected(executor.execute(_MOVE, params)))


def request_power(executor: Executor, uuid: str, target: str) -> bool:
    """Ask for ``target`` power state: only an ``active`` instance with no change pending
    takes it (compare-and-set); False otherwise."""
    return bool(
        affected(executor.execute(_REQUEST_POWER, {"requesting_uuid": uuid, "target": target}))
    )


_END_POWER_REQUEST = update(INSTANCES).where(
    INSTANCES.c.uuid == bindparam("ending_uuid"),
    INSTANCES.c.target_power_state == bindparam("ending_target"),
)
_DELETE = delete(INSTANCES).where(INSTANCES.c.uuid == bindparam("uuid"))


def end_power_request(tx: Executor, uuid: str, target: str, **values: Any) -> bool:
    """Clear the pending ``target`` (setting ``values``, e.g. the observed ``power_state``) if
    it is still the one pending; False when it was not."""
    params = {"ending_uuid": uuid, "ending_target": target, "target_power_state": None, **values}
    return bool(affected(tx.execute(_END_POWER_REQUEST, params)))


def delete_row(tx: Executor, uuid: str) -> None:
    """Forget the instance (its ports and faults go with it, by the schema's cascades)."""
    tx.execute(_DELETE, {"uuid": uuid})


def record_fault(executor: Executor, instance_uuid: str, message: str, code: int = 500) -> None:
    """Say why the instance failed (shown with it while it is in ``error``), without the
    credentials a peer's words may quote."""
    executor.execute(
        _ADD_FAULT,
        {
            "instance_uuid": instance_uuid,
            "code": code,
            "message": secrets.scrub(message),
            "created_at": utcnow(),
        },
    )


# -- the power sync ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """An instance with the node that serves it."""

    instance: InstanceRow
    node: NodeRow


_SERVED_WITHOUT_PENDING_POWER = (
    select(
        *_ROWS.selected_columns,
        *(c.label(f"node__{c.key}") for c in columns_of(NODES, NodeRow)),
    )
    .join(NODES, NODES.c.uuid == INSTANCES.c.node_uuid)
    .where(
        INSTANCES.c.status == ACTIVE,
        INSTANCES.c.target_power_state.is_(None),
        NODES.c.instance_uuid == INSTANCES.c.uuid,
        NODES.c.maintenance.is_(False),
    )
)
_CORRECT_POWER = (
    update(INSTANCES)
    .where(
        INSTANCES.c.uuid == bindparam("correcting_uuid"),
        INSTANCES.c.status == ACTIVE,
        INSTANCES.c.target_power_state.is_(None),
    )
    .values(power_state=bindparam("observed"))
)


def active_without_pending_power(
    db: Database,
    *,
    low: str = "",
    high: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[Served]:
    """Active instances with no power change pending, on nodes outside maintenance whose uuid
    is in ``[low, high)`` and after ``after``, in node uuid order, at most ``limit`` (a range
    scan of the nodes' primary key: an engine reads its own share, a batch at a time)."""
    query = _SERVED_WITHOUT_PENDING_POWER.where(NODES.c.uuid >= low)
    if high is not None:
        query = query.where(NODES.c.uuid < high)
    if after is not None:
        query = query.where(NODES.c.uuid > after)
    query = query.order_by(NODES.c.uuid)
    if limit is not None:
        query = query.limit(limit)
    node_columns = NodeRow._fields
    with db.read_rows() as connection:
        rows = connection.execute(query).all()
    return [
        Served(
            InstanceRow._make(row[: len(InstanceRow._fields)]),
            NodeRow(**{name: getattr(row, f"node__{name}") for name in node_columns}),
        )
        for row in rows
    ]


def correct_power(tx: Executor, uuid: str, observed: str | None) -> bool:
    """Record the power state the hardware reports, unless a change was asked for meanwhile
    (the sync never fights a pending request); False when it was not recorded."""
    return bool(
        affected(tx.execute(_CORRECT_POWER, {"correcting_uuid": uuid, "observed": observed}))
    )


# -- the deploy step ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ToDeploy:
    """A building instance and the image it is to be deployed from (None: it was deleted)."""

    instance: InstanceRow
    image: ImageRow | None


_IMAGES_IN_USE = select(INSTANCES.c.image_uuid).distinct()
_BUILDING_WITH_IMAGE = (
    select(*_ROWS.selected_columns, *(c.label(f"image__{c.key}") for c in IMAGES.columns))
    .outerjoin(IMAGES, IMAGES.c.uuid == INSTANCES.c.image_uuid)
    .where(INSTANCES.c.uuid == bindparam("uuid"), INSTANCES.c.status == BUILDING)
)


def images_in_use(db: Database) -> set[str]:
    """The images instances run (or are being deployed with), each once."""
    with db.read_rows() as connection:
        return {row[0] for row in connection.execute(_IMAGES_IN_USE)}


def building_with_image(db: Database, uuid: str) -> ToDeploy | None:
    """The instance, if it is still building, with its image; one query."""
    with db.read_rows() as connection:
        row = connection.execute(_BUILDING_WITH_IMAGE, {"uuid": uuid}).first()
    if row is None:
        return None
    image = None
    if row.image__uuid is not None:
        image = ImageRow(**{c.key: getattr(row, f"image__{c.key}") for c in IMAGES.columns})
    return ToDeploy(InstanceRow._make(row[: len(InstanceRow._fields)]), image)


def existing(db: Database, uuids: Sequence[str]) -> set[str]:
    """Those of ``uuids`` that are instances Mogan has (in any status)."""
    if not uuids:
        return set()
    query = select(INSTANCES.c.uuid).where(INSTANCES.c.uuid.in_(sorted(set(uuids))))
    with db.read_rows() as connection:
        return set(connection.scalars(query))
