"""The base of Mogan's enumerated words (statuses, states, power targets)."""

from __future__ import annotations

from enum import StrEnum


class Word(StrEnum):
    """A word of the API's vocabulary: a ``str`` (stored, compared and sent as its value)
    that also reads as its value in messages, ``!r`` included (``'enroll'``, not
    ``<ProvisionState.ENROLL: 'enroll'>``): operators read those messages."""

    def __repr__(self) -> str:
        return repr(self.value)
