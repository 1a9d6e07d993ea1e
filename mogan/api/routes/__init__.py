"""One router per resource; each is mounted under ``/v1`` and without the prefix."""
