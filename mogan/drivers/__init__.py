"""Drivers: leaves that speak to a node's hardware (or its manager).

A driver bundles small capability interfaces (see ``base``). Each is named by the ``driver``
field of a node; ``registry.build_drivers`` makes the enabled ones.
"""
