"""The driver contract (``mogan.drivers.base``), the same suite for every driver.

Each driver is exercised directly: powers observed, deploy and undeploy idempotent, errors of
the documented types with messages that name the node and never hold a secret.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mogan import conf as mogan_conf
from mogan.core import states
from mogan.core.errors import DriverError, NodeUnreachable, UnsupportedAction
from mogan.core.lifecycle import CleaningMode
from mogan.core.states import PowerTarget
from mogan.drivers import base
from mogan.drivers.fake import FakeDriver, SimulatedMachine
from mogan.drivers.ironic import InventorySettings, IronicClient, IronicDriver, IronicSettings
from mogan.drivers.redfish import RedfishDriver, RedfishSettings
from tests.functional.process import free_port
from tests.peers.ironic import IronicServer
from tests.peers.redfish import PASSWORD, FileServer, RedfishEmulator

INSTANCE = "5d6a3c1e-0b7f-4c8e-9a51-2f7f0c6b1d11"


@dataclass
class Subject:
    driver: base.Driver
    node: base.NodeRef
    unreachable: base.NodeRef
    request: base.DeployRequest
    #: Reads the power state straight from the "hardware", not through the driver.
    hardware_power: Callable[[], str | None]
    #: The driver that cannot reach ``unreachable``, when it is not ``driver`` itself.
    unreachable_driver: base.Driver | None = None

    @property
    def cut_off(self) -> base.Driver:
        return self.unreachable_driver or self.driver


class MemoryStore:
    def __init__(self) -> None:
        self.machines: dict[str, SimulatedMachine] = {}
        self.calls: list[tuple[str, str]] = []

    def load(self, node_uuid: str) -> SimulatedMachine:
        machine = self.machines.get(node_uuid, SimulatedMachine(power_state=states.POWER_OFF))
        return SimulatedMachine(**vars(machine))

    def save(self, node_uuid: str, machine: SimulatedMachine) -> None:
        self.machines[node_uuid] = SimulatedMachine(**vars(machine))

    def record_call(self, node_uuid: str, call: str, instance_uuid: str | None = None) -> None:
        self.calls.append((node_uuid, call))


def _fake(_tmp: Path) -> Iterator[Subject]:
    store = MemoryStore()
    driver = FakeDriver(store, power_latency=0.2)
    secret = {"ipmi_password": PASSWORD}
    yield Subject(
        driver=driver,
        node=base.NodeRef("n-1", "fake-1", secret, instance_uuid=INSTANCE),
        unreachable=base.NodeRef("n-2", "fake-2", {**secret, "fake_unreachable": True}),
        request=base.DeployRequest(INSTANCE, "server", "http://images/x.iso", None, "iso"),
        hardware_power=lambda: store.load("n-1").power_state,
    )


def _redfish(tmp: Path) -> Iterator[Subject]:
    emulator = RedfishEmulator(tmp, systems=2, fast=True).start()
    with FileServer(tmp / "www") as files:
        driver = RedfishDriver(
            RedfishSettings(
                poll_interval=0.05,
                power_state_timeout=20,
                read_timeout=5,
                connect_timeout=1,
                configdrive_dir=str(files.directory / "cd"),
                configdrive_url=f"{files.url}/cd",
            )
        )
        try:
            yield Subject(
                driver=driver,
                node=base.NodeRef("n-1", "bmc-1", emulator.driver_info(0), instance_uuid=INSTANCE),
                unreachable=base.NodeRef(
                    "n-2",
                    "bmc-2",
                    emulator.driver_info(1, redfish_address=f"http://127.0.0.1:{free_port()}"),
                ),
                request=base.DeployRequest(INSTANCE, "server", files.add_iso(), None, "iso"),
                hardware_power=lambda: {"On": states.POWER_ON, "Off": states.POWER_OFF}[
                    emulator.system(0)["PowerState"]
                ],
            )
        finally:
            emulator.stop()


def _ironic_driver(url: str) -> IronicDriver:
    conf = mogan_conf.load(
        overrides={
            "ironic.auth_type": "none",
            "ironic.endpoint_override": url,
            "ironic.connect_retries": 0,
        }
    )
    return IronicDriver(
        IronicClient(conf),
        IronicSettings(deploy_timeout=30, poll_interval=0.05),
        InventorySettings(),
    )


@pytest.fixture(scope="module")
def ironic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IronicServer]:
    """One Ironic for the module's tests (starting one costs seconds); each test has a node
    of its own in it."""
    server = IronicServer(tmp_path_factory.mktemp("ironic")).start()
    yield server
    server.stop()


def _ironic(request: pytest.FixtureRequest) -> Iterator[Subject]:
    server: IronicServer = request.getfixturevalue("ironic_server")
    (node,) = server.enrol(1, prefix=f"contract-{uuid.uuid4().hex[:8]}")
    instance = str(uuid.uuid4())  # Ironic ties an instance to one node for good
    yield Subject(
        driver=_ironic_driver(server.url),
        node=base.NodeRef(node["uuid"], node["name"], {}, instance_uuid=instance),
        unreachable=base.NodeRef(node["uuid"], node["name"], {}),
        unreachable_driver=_ironic_driver(f"http://127.0.0.1:{free_port()}"),
        request=base.DeployRequest(instance, "server", "http://images/x.iso", None, "iso"),
        hardware_power=lambda: server.node(node["uuid"])["power_state"],
    )


SUBJECTS = {"fake": _fake, "redfish": _redfish, "ironic": _ironic}


@pytest.fixture(params=sorted(SUBJECTS))
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    if request.param == "ironic":
        yield from _ironic(request)
    else:
        yield from SUBJECTS[request.param](tmp_path)


def _observe(subject: Subject, target: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subject.driver.power.get_power_state(subject.node) == target:
            return
        time.sleep(0.05)
    raise AssertionError(f"{target} not observed in {timeout}s")


def test_validate_accepts_a_good_node_and_reports_each_capability(subject: Subject):
    subject.driver.validate(subject.node)
    checks = subject.driver.validate_interfaces(subject.node)
    assert set(base.CAPABILITIES) <= set(checks)
    assert all(check.result for check in checks.values())


def test_power_changes_are_observed_and_repeats_are_harmless(subject: Subject):
    power = subject.driver.power
    assert power.get_power_state(subject.node) in states.POWER_STATES
    for action, target in (
        (PowerTarget.ON, states.POWER_ON),
        (PowerTarget.ON, states.POWER_ON),
        (PowerTarget.OFF, states.POWER_OFF),
        (PowerTarget.OFF, states.POWER_OFF),
        (PowerTarget.ON, states.POWER_ON),
        (PowerTarget.REBOOT, states.POWER_ON),
        (PowerTarget.SOFT_OFF, states.POWER_OFF),
    ):
        power.set_power_state(subject.node, action)
        _observe(subject, target)
        assert subject.hardware_power() == target


def test_deploy_boots_the_node_and_repeating_it_is_harmless(subject: Subject):
    result = subject.driver.deploy.deploy(subject.node, subject.request)
    assert isinstance(result, base.DeployResult)
    assert subject.driver.power.get_power_state(subject.node) == states.POWER_ON
    again = subject.driver.deploy.deploy(subject.node, subject.request)
    assert again.config_drive == result.config_drive
    assert subject.hardware_power() == states.POWER_ON


def test_undeploy_powers_off_and_repeating_it_is_harmless(subject: Subject):
    subject.driver.deploy.deploy(subject.node, subject.request)
    subject.driver.deploy.undeploy(subject.node)
    subject.driver.deploy.undeploy(subject.node)
    cleaner = subject.driver.clean
    if cleaner is not None and cleaner.cleans_itself:
        # Ironic may still be cleaning (powered on) when the tear-down returns; the clean
        # that follows every tear-down in Mogan waits for it and leaves the node off.
        cleaner.clean(subject.node, CleaningMode.METADATA, lambda _event, _details: None)
    assert subject.driver.power.get_power_state(subject.node) == states.POWER_OFF
    assert subject.hardware_power() == states.POWER_OFF


def test_an_unreachable_node_is_retryable_and_named(subject: Subject):
    driver = subject.cut_off
    for call in (
        lambda: driver.power.get_power_state(subject.unreachable),
        lambda: driver.validate(subject.unreachable),
        lambda: driver.deploy.undeploy(subject.unreachable),
    ):
        with pytest.raises(NodeUnreachable) as caught:
            call()
        assert caught.value.retryable
        assert subject.unreachable.name in caught.value.message
        assert PASSWORD not in caught.value.message


def test_an_unknown_action_is_unsupported_not_retryable(subject: Subject):
    with pytest.raises(UnsupportedAction) as caught:
        subject.driver.power.set_power_state(subject.node, "hibernate")
    assert not caught.value.retryable
    assert isinstance(caught.value, DriverError)
