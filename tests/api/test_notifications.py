"""Versioned notifications on the real RabbitMQ at 127.0.0.1:5672, read back with kombu."""

from __future__ import annotations

import json
import time
import uuid as uuid_module
from collections.abc import Iterator
from typing import Any

import httpx
import kombu
import pytest

from mogan.drivers.base import NodeRef
from tests.functional.process import free_port
from tests.harness import Api, ThreadedServer

BROKER = "amqp://guest:guest@127.0.0.1:5672//"
TRANSPORT_URL = "rabbit://guest:guest@127.0.0.1:5672/"


class Consumer:
    """A private queue bound to Mogan's notification exchange."""

    def __init__(self) -> None:
        try:
            self.connection = kombu.Connection(BROKER, connect_timeout=5)
            self.connection.connect()
        except Exception as exc:
            raise RuntimeError(f"RabbitMQ at {BROKER} is needed by this test: {exc}") from exc
        exchange = kombu.Exchange("mogan", type="topic", durable=False, auto_delete=False)
        self.queue = kombu.Queue(
            f"test-{uuid_module.uuid4().hex[:8]}",
            exchange=exchange,
            routing_key="notifications.#",
            exclusive=True,
            auto_delete=True,
        )
        self.simple = self.connection.SimpleQueue(self.queue)
        self.events: list[dict[str, Any]] = []

    def drain(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                message = self.simple.get(timeout=0.1)
            except self.simple.Empty:
                continue
            envelope = message.payload
            message.ack()
            assert envelope["oslo.version"] == "2.0"
            self.events.append(json.loads(envelope["oslo.message"]))
        return self.events

    def wait_for(self, event_type: str, instance: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.drain(0.2):
                data = event["payload"]["mogan_object.data"]
                if event["event_type"] == event_type and data["uuid"] == instance:
                    return event
        raise AssertionError(
            f"{event_type} for {instance} not received; got "
            f"{[e['event_type'] for e in self.events]}"
        )

    def of(self, instance: str) -> list[str]:
        return [
            e["event_type"]
            for e in self.events
            if e["payload"]["mogan_object.data"]["uuid"] == instance
        ]

    def close(self) -> None:
        self.simple.close()
        with self.connection.channel() as channel:  # what the notifier's own queues kept
            for name in ("notifications.info", "notifications.error"):
                kombu.Queue(name, channel=channel).delete()
        self.connection.close()


@pytest.fixture
def consumer() -> Iterator[Consumer]:
    made = Consumer()
    yield made
    made.close()


def _serve(mogan: Any) -> tuple[ThreadedServer, httpx.Client]:
    server = ThreadedServer(mogan.app).__enter__()
    return server, httpx.Client(base_url=server.url, timeout=30)


def test_instance_life_is_notified_in_order(mogan_factory, consumer: Consumer):
    mogan = mogan_factory(
        notifications__driver="messaging",
        notifications__transport_url=TRANSPORT_URL,
        engine__sync_power_state_interval=1,
    )
    server, client = _serve(mogan)
    try:
        api = Api(client)
        node = api.enrol("n1")
        created = api.create(
            api.make_type(), api.make_image(), [{"net_id": api.make_network()["uuid"]}]
        ).json()
        uuid = created["uuid"]
        end = consumer.wait_for("instance.create.end", uuid)
        assert api.put(f"/v1/instances/{uuid}/states/power", {"target": "off"}).status_code == 202
        consumer.wait_for("instance.power_off.end", uuid)
        rebuild = api.put(f"/v1/instances/{uuid}/states/provision", {"target": "rebuild"})
        assert rebuild.status_code == 202
        rebuilt = consumer.wait_for("instance.rebuild.end", uuid)
        assert api.post(f"/v1/instances/{uuid}/states/rescue", {}).status_code == 202
        consumer.wait_for("instance.rescue.end", uuid)
        assert api.delete(f"/v1/instances/{uuid}/states/rescue").status_code == 202
        consumer.wait_for("instance.unrescue.end", uuid)
        assert (
            api.patch(
                f"/v1/instances/{uuid}", [{"op": "replace", "path": "/name", "value": "renamed"}]
            ).status_code
            == 200
        )
        update = consumer.wait_for("instance.update", uuid)
        # Switched off behind Mogan's back: the sync corrects it and says so.
        mogan.drivers.get("fake").power.set_power_state(
            NodeRef(node["uuid"], node["name"], {}), "off"
        )
        corrected = consumer.wait_for("instance.power_state.corrected", uuid)
        assert api.delete(f"/v1/instances/{uuid}").status_code == 204
        gone = consumer.wait_for("instance.delete.end", uuid)
    finally:
        client.close()
        server.__exit__(None, None, None)

    assert consumer.of(uuid) == [
        "instance.create.start",
        "instance.create.end",
        "instance.power_off.start",
        "instance.power_off.end",
        "instance.rebuild.start",
        "instance.rebuild.end",
        "instance.rescue.start",
        "instance.rescue.end",
        "instance.unrescue.start",
        "instance.unrescue.end",
        "instance.update",
        "instance.power_state.corrected",
        "instance.delete.start",
        "instance.delete.end",
    ]
    # Only this instance's: other tests (other workers) notify on the same broker meanwhile.
    mine = [e for e in consumer.events if e["payload"]["mogan_object.data"].get("uuid") == uuid]
    for event in mine:
        assert {
            "event_type",
            "publisher_id",
            "priority",
            "payload",
            "timestamp",
            "message_id",
        } <= set(event)
        assert event["payload"]["mogan_object.version"] == "1.0"
        assert event["priority"] == "INFO"
    assert end["publisher_id"].startswith("mogan-engine.")
    data = end["payload"]["mogan_object.data"]
    assert (data["status"], data["power_state"], data["project_id"]) == (
        "active",
        "power on",
        "tenant-a",
    )
    assert data["node_uuid"] == node["uuid"]
    assert update["payload"]["mogan_object.data"]["name"] == "renamed"
    rebuilt_data = rebuilt["payload"]["mogan_object.data"]
    assert (rebuilt_data["status"], rebuilt_data["power_state"]) == ("active", "power on")
    assert corrected["payload"]["mogan_object.data"]["power_state"] == "power off"
    assert gone["payload"]["mogan_object.data"]["status"] == "deleted"


def test_a_failed_create_is_an_error_notification(mogan_factory, consumer: Consumer):
    mogan = mogan_factory(
        notifications__driver="messaging", notifications__transport_url=TRANSPORT_URL
    )
    server, client = _serve(mogan)
    try:
        api = Api(client)
        created = api.create(
            api.make_type(), api.make_image(), [{"net_id": api.make_network()["uuid"]}]
        ).json()
        error = consumer.wait_for("instance.create.error", created["uuid"])
    finally:
        client.close()
        server.__exit__(None, None, None)
    assert error["priority"] == "ERROR"
    data = error["payload"]["mogan_object.data"]
    assert data["status"] == "error"
    assert "No valid node" in data["fault"]["message"]


def test_a_broker_that_is_down_never_fails_or_slows_requests(mogan_factory):
    """Events wait in the notifier's own queue: with the broker refusing connections every
    request still succeeds, and none waits for the broker (the client gives up after a few
    seconds, far less than oslo.messaging's retries would take)."""
    mogan = mogan_factory(
        notifications__driver="messaging",
        notifications__transport_url=f"rabbit://guest:guest@127.0.0.1:{free_port()}/",
    )
    server = ThreadedServer(mogan.app).__enter__()
    client = httpx.Client(base_url=server.url, timeout=5)
    try:
        api = Api(client)
        api.enrol("n1")
        type_, image, network = api.make_type(), api.make_image(), api.make_network()
        for round_ in range(3):
            created = api.create(type_, image, [{"net_id": network["uuid"]}], name=f"r{round_}")
            assert created.status_code == 201, created.text
            uuid = created.json()["uuid"]
            api.wait_status(uuid, "active")
            changed = api.patch(
                f"/v1/instances/{uuid}", [{"op": "add", "path": "/extra/k", "value": "v"}]
            )
            assert changed.status_code == 200, changed.text
            assert api.delete(f"/v1/instances/{uuid}").status_code == 204
            api.wait_gone(uuid)
            api.wait_cleaned()  # the node serves the next round
    finally:
        client.close()
        server.__exit__(None, None, None)


def test_a_nodes_cleans_and_inspections_are_notified(mogan_factory, consumer: Consumer):
    mogan = mogan_factory(
        notifications__driver="messaging", notifications__transport_url=TRANSPORT_URL
    )
    server, client = _serve(mogan)
    try:
        api = Api(client)
        node = api.enrol("n1", driver_info={"fake_clean_latency": 0.2})
        created = api.create(
            api.make_type(), api.make_image(), [{"net_id": api.make_network()["uuid"]}]
        ).json()
        consumer.wait_for("instance.create.end", created["uuid"])
        assert api.delete(f"/v1/instances/{created['uuid']}").status_code == 204
        started = consumer.wait_for("node.clean.start", node["uuid"])
        ended = consumer.wait_for("node.clean.end", node["uuid"])
        assert started["payload"]["mogan_object.name"] == "NodePayload"
        assert started["payload"]["mogan_object.data"]["provision_state"] == "cleaning"
        assert ended["payload"]["mogan_object.data"]["provision_state"] == "available"
        assert "driver_info" not in ended["payload"]["mogan_object.data"]

        broken = [{"op": "add", "path": "/driver_info/fake_fail_inspect", "value": True}]
        assert api.admin.patch(f"/v1/nodes/{node['uuid']}", broken).status_code == 200
        assert api.admin.post(f"/v1/nodes/{node['uuid']}/inspect").status_code == 202
        failed = consumer.wait_for("node.inspect.error", node["uuid"])
        assert failed["priority"] == "ERROR"
        data = failed["payload"]["mogan_object.data"]
        assert (data["provision_state"], data["maintenance"]) == ("inspect failed", True)
        assert "injected fault" in data["last_error"]
    finally:
        client.close()
        server.__exit__(None, None, None)
