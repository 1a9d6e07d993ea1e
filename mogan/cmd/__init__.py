"""The ``mogan`` console script."""
