"""JSON text in and out, fast where it is hot: the JSON columns of every row read (an instance
has four) and every response body.

orjson decodes and encodes several times faster than the standard library (a detail page of
1,000 instances: its rows' JSON decoded in 6 ms instead of 13, its body encoded in 0.7 ms
instead of 6.4; ``bench/README.md``). It is stricter in two corners the standard library
accepts, so each falls back to it there rather than failing a request: ``NaN`` and
``Infinity`` (which ``json.loads`` reads, so an earlier body may have stored them) and
integers wider than 64 bits.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(text: str | bytes) -> Any:
    """The value ``text`` encodes."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # NaN, Infinity: JSON's extensions Python writes and reads


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer wider than 64 bits, a non-string key
        return json.dumps(value, separators=(",", ":")).encode()
