"""Mogan: a bare-metal compute service.

The folder tree is the architecture (see docs/architecture.md):

- ``core``: pure code, no I/O (states, placement, address arithmetic, errors).
- ``drivers``: leaves that speak to hardware (``fake`` today).
- ``db``: the schema, migrations and the session helpers; the database is the truth.
- ``engine``: workers that claim operations and carry them out through drivers.
- ``services``: use cases; the only path from the edge to the data.
- ``api``: the HTTP edge.
- ``root``: the one composition root; ``cmd``: the console script.
"""

__version__ = "0.1.0"
