"""An in-process Mogan (API + a real engine on a real database) and an HTTP client for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from mogan import conf as mogan_conf
from mogan.root import Mogan, build

ADMIN = {"X-Project-Id": "admin-project", "X-User-Id": "admin-user", "X-Roles": "admin"}


def project(name: str, roles: str = "member") -> dict[str, str]:
    return {"X-Project-Id": name, "X-User-Id": f"{name}-user", "X-Roles": roles}


FAST_ENGINE = {
    "engine.poll_interval": 0.05,
    "engine.lease_timeout": 5.0,
    "engine.driver_retry_interval": 0.01,
    "engine.sync_power_state_interval": 0,
    "engine.power_state_timeout": 5.0,
    "engine.workers": 8,
    "engine.power_poll_interval": 0.05,
}


def make_mogan(database_url: str, state_path: str, **overrides: Any) -> Mogan:
    settings: dict[str, Any] = {
        "database.connection": database_url,
        "state_path": state_path,
        **FAST_ENGINE,
    }
    settings.update({k.replace("__", "."): v for k, v in overrides.items()})
    return build(mogan_conf.load(overrides=settings))


class Api:
    """A small client: default headers are a project member's; ``admin`` for the operator."""

    def __init__(self, http: httpx.Client, headers: dict[str, str] | None = None):
        self.http = http
        self.headers = headers or project("tenant-a")

    def as_(self, headers: dict[str, str]) -> Api:
        return Api(self.http, headers)

    @property
    def admin(self) -> Api:
        return self.as_(ADMIN)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    # -- fleet set-up (as the operator) --------------------------------------------------------

    def enrol(
        self,
        name: str,
        *,
        zone: str = "az1",
        nics: list[str | None] | None = None,
        driver_info: dict[str, Any] | None = None,
        resource_class: str | None = "baremetal",
        capabilities: Any = None,
        inspect: bool = False,
    ) -> dict:
        index = abs(hash(name)) % 0xFFFFFF
        nics = nics if nics is not None else ["1GE", "10GE"]
        body = {
            "name": name,
            "driver": "fake",
            "driver_info": driver_info or {},
            "properties": {
                "cpus": 8,
                "memory_mb": 65536,
                "local_gb": 500,
                **({"capabilities": capabilities} if capabilities else {}),
            },
            "resource_class": resource_class,
            "availability_zone": zone,
            "nics": [
                {"mac_address": _mac(index, i), "port_type": port_type}
                for i, port_type in enumerate(nics)
            ],
            **({"inspect": True} if inspect else {}),
        }
        response = self.admin.post("/v1/nodes", body)
        assert response.status_code == 201, response.text
        return self.wait_verified(response.json()["uuid"])

    def sync(self, timeout: float = 60.0) -> dict:
        """Sync Ironic's nodes now, as an operator; the sync's record once it has ended."""
        started = self.admin.post("/v1/nodes/sync")
        assert started.status_code == 202, started.text
        request_id = started.json()["request_id"]
        deadline = time.monotonic() + timeout
        while True:
            listed = self.admin.get("/v1/nodes/sync").json()["syncs"]
            (record,) = [s for s in listed if s["request_id"] == request_id]
            if record["result"] is not None:
                return dict(record)
            if time.monotonic() > deadline:
                raise AssertionError(f"sync {request_id} still running after {timeout}s")
            time.sleep(0.05)

    def wait_verified(self, node_uuid: str, timeout: float = 20.0) -> dict:
        """The node once its enrolment's verification has ended (``available``, or
        ``inspecting`` when asked, or ``enroll`` when its BMC check failed)."""
        deadline = time.monotonic() + timeout
        while True:
            node = self.admin.get(f"/v1/nodes/{node_uuid}").json()
            if node["provision_state"] != "verifying":
                return dict(node)
            if time.monotonic() > deadline:
                raise AssertionError(f"node {node_uuid} still verifying after {timeout}s")
            time.sleep(0.02)

    def make_type(
        self,
        name: str = "bm.small",
        *,
        extra_specs: dict[str, str] | None = None,
        is_public: bool = True,
    ) -> dict:
        response = self.admin.post("/v1/types", {"name": name, "is_public": is_public})
        assert response.status_code == 201, response.text
        created = response.json()
        if extra_specs:
            specs = self.admin.patch(f"/v1/types/{created['uuid']}/extraspecs", extra_specs)
            assert specs.status_code == 201, specs.text
        return created

    def make_image(self, name: str = "ubuntu") -> dict:
        response = self.admin.post(
            "/v1/images", {"name": name, "url": "http://img/u.qcow2", "disk_format": "qcow2"}
        )
        assert response.status_code == 201, response.text
        return response.json()

    def make_network(self, name: str = "net", cidr: str = "10.0.0.0/24", **subnet: Any) -> dict:
        response = self.admin.post(
            "/v1/networks", {"name": name, "subnets": [{"cidr": cidr, **subnet}]}
        )
        assert response.status_code == 201, response.text
        return response.json()

    def create(
        self, type_: dict, image: dict, networks: list[dict], name: str = "server", **extra: Any
    ) -> httpx.Response:
        return self.post(
            "/v1/instances",
            {
                "name": name,
                "instance_type_uuid": type_["uuid"],
                "image_uuid": image["uuid"],
                "networks": networks,
                **extra,
            },
        )

    def wait_for(
        self,
        uuid: str,
        predicate: Callable[[dict], bool],
        timeout: float = 20.0,
        what: str = "condition",
    ) -> dict:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            response = self.get(f"/v1/instances/{uuid}")
            last = response.json() if response.status_code == 200 else response.status_code
            if isinstance(last, dict) and predicate(last):
                return last
            time.sleep(0.05)
        actions = self.get(f"/v1/instances/{uuid}/actions")
        latest = actions.json()["actions"][:1] if actions.status_code == 200 else actions.text
        raise AssertionError(
            f"instance {uuid}: {what} not reached in {timeout}s; last: {last}; "
            f"latest action: {latest}"
        )

    def wait_status(self, uuid: str, status: str, timeout: float = 20.0) -> dict:
        return self.wait_for(uuid, lambda i: i["status"] == status, timeout, f"status {status}")

    def wait_gone(self, uuid: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get(f"/v1/instances/{uuid}").status_code == 404:
                return
            time.sleep(0.05)
        raise AssertionError(f"instance {uuid} still exists after {timeout}s")

    def wait_cleaned(self, timeout: float = 20.0) -> None:
        """Until no node is cleaning: the nodes of deleted instances are available again."""
        deadline = time.monotonic() + timeout
        while True:
            nodes = self.admin.get("/v1/nodes", params={"provision_state": "cleaning"})
            if nodes.json()["nodes"] == []:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"nodes still cleaning after {timeout}s: {nodes.json()}")
            time.sleep(0.05)


def _mac(index: int, nic: int) -> str:
    return (
        f"52:54:{(index >> 16) & 0xFF:02x}:{(index >> 8) & 0xFF:02x}:{index & 0xFF:02x}:{nic:02x}"
    )


def fault_of(response: httpx.Response) -> dict:
    """Decode the OpenStack error body, asserting its shape."""
    import json

    body = response.json()
    assert set(body) == {"error_message"}, body
    fault = json.loads(body["error_message"])
    assert set(fault) == {"faultcode", "faultstring", "debuginfo"}, fault
    assert fault["debuginfo"] is None
    assert fault["faultcode"] == ("Client" if response.status_code < 500 else "Server")
    return fault


class ThreadedServer:
    """The app under a real uvicorn server on a free loopback port, in a background thread."""

    def __init__(self, app: Any) -> None:
        import threading

        import uvicorn

        from tests.functional.process import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test API server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
