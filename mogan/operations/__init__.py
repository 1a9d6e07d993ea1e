"""The one door to the engine: how services (and the engine itself) ask for long work.

Each ``request_…`` function moves its subject to the state the work starts from, opens the
action that will record how it ends, and queues the operation — all in the caller's
transaction, so a request is never half-made: the state, the record and the work commit
together or not at all. The caller wakes the engines once it has committed.

Nothing here talks to hardware: the engine's handlers (``mogan.engine.operations``) carry
the work out. Services never import the engine or the drivers (import-linter holds them to
it); this package sits between them and the data layer.
"""

from mogan.operations.requester import Requester

__all__ = ["Requester"]
