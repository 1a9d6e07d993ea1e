"""CLI commands, shared by the standalone ``mogan`` shell and the OpenStackClient plugin."""
