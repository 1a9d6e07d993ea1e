"""Links in answers point where the caller reached the API (or ``[api] public_endpoint``)."""

from __future__ import annotations

from types import SimpleNamespace

from starlette.requests import Request

from mogan.api.http import base_url


def _request(host: str | None, *, public: str | None = None, root_path: str = "") -> Request:
    app = SimpleNamespace(state=SimpleNamespace(public_endpoint=public))
    headers = [(b"host", host.encode())] if host is not None else []
    scope = {
        "type": "http",
        "scheme": "https",
        "root_path": root_path,
        "path": "/v1/instances",
        "query_string": b"limit=1",
        "headers": headers,
        "server": ("10.0.0.5", 8774),
        "app": app,
    }
    return Request(scope)


def test_links_follow_each_requests_host_and_root_path():
    assert base_url(_request("mogan.example.com")) == "https://mogan.example.com"
    assert base_url(_request("other.example.com:8774")) == "https://other.example.com:8774"
    # Asked again (an answer is remembered per host): still each request's own.
    assert base_url(_request("mogan.example.com")) == "https://mogan.example.com"
    assert (
        base_url(_request("mogan.example.com", root_path="/compute"))
        == "https://mogan.example.com/compute"
    )


def test_without_a_host_header_links_name_the_server_address():
    assert base_url(_request(None)) == "https://10.0.0.5:8774"


def test_the_public_endpoint_wins_over_the_host_header():
    request = _request("internal:8774", public="https://cloud.example.com/baremetal/")
    assert base_url(request) == "https://cloud.example.com/baremetal"
