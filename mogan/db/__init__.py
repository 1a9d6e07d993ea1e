"""Persistence: the schema (``models``), transactions (``database``) and migrations."""
