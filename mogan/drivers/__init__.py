"""Drivers: leaves that speak to a node's hardware (or its manager).

A driver bundles small capability interfaces (see ``base``). Each is named by the ``driver``
field of a node. Each driver is a plugin of the ``mogan.drivers`` entry-point group (see
``registry``), loaded only when enabled and first used.
"""
