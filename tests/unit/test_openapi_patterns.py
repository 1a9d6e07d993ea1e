"""The OpenAPI document's patterns say what the API accepts: no string holds NUL."""

from __future__ import annotations

import re

import pytest

from mogan.api.openapi import NO_NUL, without_nul


def _python(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace("\\u0000", "\\x00"))


@pytest.mark.parametrize(
    "pattern, accepted, refused",
    [
        (None, ["", "web-1"], ["a\x00"]),
        (r"\S", ["x", "  x "], ["   ", " x\x00"]),
        ("^[^,/]+$", ["eu-west"], ["a,b", "a/b", "a\x00b"]),
        ("^(/name|/extra(/.*)?)$", ["/name", "/extra/k"], ["/extra/\x00", "/other"]),
        ("^[a-zA-Z0-9 _.@-]+$", ["my key.pub"], ["k\x00"]),
    ],
)
def test_a_rewritten_pattern_accepts_what_it_did_less_nul(pattern, accepted, refused):
    rewritten = _python(without_nul(pattern))
    assert all(rewritten.search(text) for text in accepted)
    assert not any(rewritten.search(text) for text in refused)
    assert without_nul(NO_NUL) == NO_NUL
