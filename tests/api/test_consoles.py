"""Serial consoles through Mogan's WebSocket proxy, on the fake driver's simulated machine:
a real WebSocket against the API under uvicorn, as a browser's xterm.js opens it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.harness import Api, fault_of, project


def _active(api: Api, fleet: dict[str, Any], name: str = "web-1") -> str:
    created = api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], name=name
    )
    assert created.status_code == 201, created.text
    return str(api.wait_status(created.json()["uuid"], "active")["uuid"])


def _open(api: Api, uuid: str, body: Any = None) -> str:
    answer = api.post(
        f"/v1/instances/{uuid}/remote_consoles", body or {"protocol": "serial", "type": "websocket"}
    )
    assert answer.status_code == 200, answer.text
    console = answer.json()["remote_console"]
    assert (console["protocol"], console["type"]) == ("serial", "websocket")
    return str(console["url"])


def _read_until(ws: ClientConnection, text: str, timeout: float = 10.0) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        seen += ws.recv(timeout=max(0.1, deadline - time.monotonic()))
    return seen.decode()


def test_the_console_shows_the_machine_and_echoes_what_is_typed(api: Api, fleet):
    uuid = _active(api, fleet)
    url = _open(api, uuid)
    assert url.startswith("ws://") and "/v1/consoles/serial?token=" in url
    with connect(url) as ws:
        shown = _read_until(ws, "web-1 login: ")
        assert "Reached target Multi-User System" in shown
        ws.send(b"root")
        assert _read_until(ws, "root").endswith("root")
        ws.send(b"\r")
        _read_until(ws, "Password: ")
        ws.send(b"secret\r")  # not echoed
        answered = _read_until(ws, "login: ")
        assert "secret" not in answered and "Login incorrect" in answered


def test_a_token_is_good_once_for_its_instance_only(api: Api, fleet):
    uuid = _active(api, fleet)
    url = _open(api, uuid)
    with connect(url) as ws:
        _read_until(ws, "login: ")
    with pytest.raises(InvalidStatus) as reused:
        connect(url)
    assert reused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        connect(url.split("token=")[0] + "token=forged")
    # A page on another site cannot open it with a token it got hold of.
    other = _open(api, uuid)
    with pytest.raises(InvalidStatus):
        connect(other, origin="https://evil.example")  # type: ignore[arg-type]
    with connect(other):
        pass  # the refused attempt did not spend it


def test_an_expired_token_is_refused(mogan_factory, api_for, fleet):
    quick = api_for(mogan_factory(console__token_ttl=1))
    fleet_again = {**fleet}
    uuid = _active(quick, fleet_again, name="web-2")
    url = _open(quick, uuid)
    time.sleep(1.5)
    with pytest.raises(InvalidStatus):
        connect(url)


def test_deleting_the_instance_closes_its_console(api: Api, fleet):
    uuid = _active(api, fleet)
    with connect(_open(api, uuid)) as ws:
        _read_until(ws, "login: ")
        assert api.delete(f"/v1/instances/{uuid}").status_code == 204
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001


def test_only_who_may_act_on_the_instance_opens_its_console(api: Api, fleet):
    uuid = _active(api, fleet)
    path = f"/v1/instances/{uuid}/remote_consoles"
    body = {"protocol": "serial", "type": "websocket"}
    assert api.as_(project("tenant-b")).post(path, body).status_code == 404
    reader = api.as_(project("tenant-a", "reader"))
    assert reader.post(path, body).status_code == 403
    assert reader.post(path, {"protocol": "vnc"}).status_code == 403  # 403 before 400
    assert api.http.post(path, json=body).status_code == 401
    for bad in ({"protocol": "vnc"}, {"protocol": "serial", "type": "shellinabox"}, {}, []):
        refused = api.post(path, bad)
        assert refused.status_code == 400, (bad, refused.text)
    # Nova's wrapping is understood too.
    _open(api, uuid, {"remote_console": {"protocol": "serial", "type": "websocket"}})
    locked = api.admin.put(f"/v1/instances/{uuid}/states/lock", {"target": True})
    assert locked.status_code == 200
    refused = api.post(path, body)
    assert refused.status_code == 409 and "locked" in fault_of(refused)["faultstring"]
    assert api.admin.post(path, body).status_code == 200
