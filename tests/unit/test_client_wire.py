"""How clients read Mogan's answers: the SDK and the dashboard share these."""

from __future__ import annotations

import json

from mogan.wire import fault_of, next_page


def _error(faultstring: str) -> str:
    inner = json.dumps({"faultcode": "Client", "faultstring": faultstring, "debuginfo": None})
    return json.dumps({"error_message": inner})


def test_the_fault_is_read_from_the_openstack_error_body():
    assert fault_of(409, _error("Instance x is locked.")) == "Instance x is locked."


def test_a_body_that_is_not_an_openstack_error_is_shown_as_it_came():
    assert fault_of(502, "<html>Bad gateway</html>") == "<html>Bad gateway</html>"
    assert fault_of(503, "", "Service Unavailable") == "Service Unavailable"
    assert fault_of(500, "") == "HTTP 500"
    assert fault_of(400, json.dumps({"error_message": "not json inside"})).startswith("{")


def test_the_next_page_is_asked_for_under_the_clients_own_endpoint():
    page = {"instances": [{"uuid": "a"}], "next": "https://cloud/baremetal/v1/instances?marker=a"}
    assert next_page(page, "instances") == "/v1/instances?marker=a"
    assert next_page({"instances": [{"uuid": "a"}]}, "instances") is None
    # An empty page ends the walk even if it names a next one (a server would loop forever).
    assert next_page({"instances": [], "next": "http://x/v1/instances?m=1"}, "instances") is None
