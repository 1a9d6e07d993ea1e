"""One handler per kind of operation, registered explicitly in ``HANDLERS``."""

from typing import Any

from mogan.core.operations import OperationKind
from mogan.engine.operations.adopt import AdoptInstance
from mogan.engine.operations.base import Handler
from mogan.engine.operations.clean import CleanNode
from mogan.engine.operations.create import CreateInstance
from mogan.engine.operations.delete import DeleteInstance
from mogan.engine.operations.inspect import InspectNode
from mogan.engine.operations.interface import ChangeInterface
from mogan.engine.operations.power import SetPowerState
from mogan.engine.operations.rebuild import RebuildInstance
from mogan.engine.operations.rescue import RescueInstance
from mogan.engine.operations.sync import SyncInventory
from mogan.engine.operations.verify import VerifyNode

HANDLERS: dict[OperationKind, Handler[Any]] = {
    handler.kind: handler
    for handler in (
        CreateInstance(),
        DeleteInstance(),
        SetPowerState(),
        AdoptInstance(),
        RebuildInstance(),
        CleanNode(),
        InspectNode(),
        VerifyNode(),
        SyncInventory(),
        ChangeInterface(),
        RescueInstance(),
    )
}

__all__ = ["HANDLERS", "Handler"]
