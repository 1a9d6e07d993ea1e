"""``log_format = json``: a real ``mogan api`` writes one JSON object per line, each with the
request id of the request it belongs to, scrubbed of secrets as the text lines are."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from tests.functional.cluster import Cluster
from tests.harness import ADMIN

pytestmark = pytest.mark.functional

TEXT_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \d+ [A-Z]+ ")


def test_a_json_log_line_per_record_with_the_request_id(cluster: Cluster):
    api = cluster.start("api", DEFAULT={"log_format": "json", "debug": True}, api={"workers": 1})
    with httpx.Client(base_url=api.url, timeout=30, headers=ADMIN) as client:
        answer = client.post(
            "/v1/nodes",
            json={
                "name": "bmc-0",
                "driver": "redfish",
                "driver_info": {
                    "redfish_address": "http://127.0.0.1:9",
                    "redfish_password": "s3cret-of-the-bmc",
                },
            },
        )
        assert answer.status_code in (201, 400), answer.text
        request_id = answer.headers["x-openstack-request-id"]
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in api.log().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines if line.startswith("{")]
        mine = [r for r in records if r.get("request_id") == request_id]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert mine, lines[-20:]
    # No record in the text format (the process's banner on standard output is no record).
    text_records = [ln for ln in lines if TEXT_RECORD.match(ln)]
    assert text_records == [], text_records
    assert {"timestamp", "process", "level", "logger", "message"} <= set(mine[0])
    assert "s3cret-of-the-bmc" not in api.log()
