"""The JSON codec of rows and responses reads and writes what the standard library does."""

from __future__ import annotations

import json

from mogan.core import jsontext


def test_what_python_wrote_reads_back_the_same():
    for value in ({"a": [1, 2.5, None, True, "é"]}, {"wide": 2**70}, [float("inf")], "x" * 10):
        assert jsontext.loads(json.dumps(value)) == value
    assert jsontext.loads('{"n": NaN}')["n"] != jsontext.loads('{"n": NaN}')["n"]  # NaN


def test_bodies_are_compact_json_that_any_reader_takes():
    body = {"instances": [{"uuid": "u", "extra": {"k": "é"}, "n": 2**70}], "next": None}
    encoded = jsontext.dumps(body)
    assert json.loads(encoded) == body
    assert b" " not in jsontext.dumps({"a": [1, 2]})
