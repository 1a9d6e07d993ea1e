"""One handler per kind of operation; ``HANDLERS`` maps an operation's ``kind`` to it."""

from mogan.engine.operations.adopt import AdoptInstance
from mogan.engine.operations.base import Handler
from mogan.engine.operations.create import CreateInstance
from mogan.engine.operations.delete import DeleteInstance
from mogan.engine.operations.power import SetPowerState

HANDLERS: dict[str, Handler] = {
    "adopt": AdoptInstance(),
    "create": CreateInstance(),
    "delete": DeleteInstance(),
    "power": SetPowerState(),
}

__all__ = ["HANDLERS", "Handler"]
