"""The check every API test's answers go through (``tests.conformance``) refuses what the
OpenAPI document does not describe, so a view and its response schema cannot drift apart."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conformance import UndocumentedAnswer, check

UUID = "6c5d2a4e-3b1f-4e8a-9c7d-1a2b3c4d5e6f"


def _answer(method: str, path: str, status: int, body: Any = None) -> httpx.Response:
    request = httpx.Request(method, f"http://mogan{path}")
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(status, content=content, request=request)


def _instance(**changes: Any) -> dict[str, Any]:
    link = [{"href": f"http://mogan/v1/instances/{UUID}", "rel": "self"}]
    body = {
        "uuid": UUID,
        "name": "web-1",
        "description": None,
        "status": "active",
        "power_state": "power on",
        "instance_type_uuid": UUID,
        "image_uuid": UUID,
        "availability_zone": None,
        "network_info": {},
        "project_id": "tenant-a",
        "user_id": "u",
        "extra": {},
        "created_at": "2026-12-04T20:00:00+00:00",
        "updated_at": None,
        "launched_at": None,
        "config_drive": None,
        "key_name": None,
        "metadata": {},
        "locked": False,
        "locked_by": None,
        "locked_reason": None,
        "tags": [],
        "reservation_id": "r-1",
        "host_id": None,
        "links": link,
    }
    return {**body, **changes}


def test_an_answer_as_documented_passes_on_both_spellings_of_the_path():
    check(_answer("GET", f"/v1/instances/{UUID}", 200, _instance()))
    check(_answer("GET", f"/instances/{UUID}", 200, _instance()))
    # ?fields= answers: the fields asked for, and links.
    check(_answer("GET", f"/v1/instances/{UUID}", 200, {"name": "x", "links": []}))


def test_a_body_its_schema_refuses_fails_naming_the_field():
    with pytest.raises(UndocumentedAnswer, match="locked"):
        check(_answer("PATCH", f"/v1/instances/{UUID}", 200, _instance(locked="False")))
    with pytest.raises(UndocumentedAnswer, match="status"):
        check(_answer("PATCH", f"/v1/instances/{UUID}", 200, _instance(status="sleeping")))
    with pytest.raises(UndocumentedAnswer, match="in_use"):
        usage = {"limit": 1, "in_use": "one"}
        check(
            _answer(
                "GET",
                "/v1/quotas/p/usage",
                200,
                {
                    "project_id": "p",
                    **dict.fromkeys(
                        ("instances", "keypairs", "server_groups", "server_group_members", "nodes"),
                        usage,
                    ),
                    "resources": {},
                },
            )
        )


def test_a_success_the_operation_does_not_document_fails():
    with pytest.raises(UndocumentedAnswer, match="undocumented"):
        check(_answer("DELETE", f"/v1/instances/{UUID}", 200, {}))


def test_what_no_operation_answers_is_left_alone():
    check(_answer("GET", "/dashboard/instances", 200, "<html>"))
    check(_answer("POST", "/v1/instances", 413, {"error_message": "{}"}))
