"""Mogan's serial console proxy (``mogan.console.proxy``)."""
