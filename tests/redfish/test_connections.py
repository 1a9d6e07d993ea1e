"""The BMC connections an engine keeps: one per BMC, reused, and no more than configured."""

from __future__ import annotations

import pytest

from mogan.drivers.base import NodeRef
from mogan.drivers.redfish import RedfishDriver, RedfishSettings
from tests.peers.redfish import RedfishEmulator

# No database is involved.
pytestmark = pytest.mark.backends("sqlite")


def _three_bmcs(emulator: RedfishEmulator) -> list[NodeRef]:
    """Three nodes the pool tells apart (another address, another TLS setting), all served
    by the one emulator."""
    port = emulator.port
    infos = [
        emulator.driver_info(0),
        emulator.driver_info(1, redfish_address=f"http://localhost:{port}"),
        emulator.driver_info(2, redfish_verify_ca=True),  # plain HTTP: nothing to verify
    ]
    return [NodeRef(f"node-{i}", f"bmc-{i}", info) for i, info in enumerate(infos)]


def test_a_bmc_asked_for_more_often_takes_the_place_of_the_least_recently_used(
    emulator: RedfishEmulator,
):
    driver = RedfishDriver(RedfishSettings(connection_cache_size=2, read_timeout=10))
    first, second, third = _three_bmcs(emulator)
    assert driver.power.get_power_state(first) == "power off"
    client = driver.pool.client_of(first)
    assert client is not None
    assert driver.power.get_power_state(second) == "power off"
    assert driver.power.get_power_state(first) == "power off"  # reused, and used last
    assert driver.pool.client_of(first) is client
    # The pool is full: a BMC asked for no more often than the least recently used one is
    # read on a connection of its own, not kept.
    assert driver.power.get_power_state(third) == "power off"
    assert driver.pool.client_of(third) is None
    assert len(driver.pool) == 2
    # Asked for again and again (a node being deployed), it takes that one's place.
    for _ in range(2):
        assert driver.power.get_power_state(third) == "power off"
    assert driver.pool.client_of(third) is not None
    assert driver.pool.client_of(second) is None  # the least recently used went
    assert driver.pool.client_of(first) is client
    assert len(driver.pool) == 2
    # A node whose connection was dropped is read as before, on a new connection.
    assert driver.power.get_power_state(second) == "power off"


def test_a_sync_reading_more_bmcs_than_it_keeps_reuses_the_ones_it_keeps(
    emulator: RedfishEmulator,
):
    """The power sync reads its BMCs in the same order each round. Dropping the least
    recently used would drop each connection just before its next read; the pool keeps the
    same ones instead, so they are read on their kept sessions round after round."""
    driver = RedfishDriver(RedfishSettings(connection_cache_size=2, read_timeout=10))
    nodes = _three_bmcs(emulator)
    kept = []
    for round_ in range(4):
        for node in nodes:
            assert driver.power.get_power_state(node) == "power off"
        now = [driver.pool.client_of(node) for node in nodes]
        if round_ == 0:
            kept = now
        assert now == kept  # the same client objects: no new log-in for the first two
        assert now[0] is not None and now[1] is not None and now[2] is None


def test_a_cache_size_of_zero_keeps_no_connection(emulator: RedfishEmulator):
    driver = RedfishDriver(RedfishSettings(connection_cache_size=0, read_timeout=10))
    for node in _three_bmcs(emulator):
        assert driver.power.get_power_state(node) == "power off"
    assert len(driver.pool) == 0


def test_closing_the_driver_lets_go_of_every_connection(emulator: RedfishEmulator):
    driver = RedfishDriver(RedfishSettings(read_timeout=10))
    nodes = _three_bmcs(emulator)
    for node in nodes:
        assert driver.power.get_power_state(node) == "power off"
    assert len(driver.pool) == 3
    driver.close()
    assert len(driver.pool) == 0
    assert driver.power.get_power_state(nodes[0]) == "power off"  # and opens anew if asked
