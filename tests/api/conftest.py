"""The API tier: the real app and a real engine in this process, over a real database."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mogan.root import Mogan
from tests import conformance
from tests.harness import Api, ThreadedServer


@pytest.fixture
def mogan(mogan_factory: Any) -> Mogan:
    return mogan_factory()


@pytest.fixture
def api(mogan: Mogan) -> Iterator[Api]:
    with (
        ThreadedServer(mogan.app) as server,
        conformance.client(server.url, timeout=30) as client,
    ):
        yield Api(client)


@pytest.fixture
def api_for() -> Iterator[Callable[[Mogan], Api]]:
    """Serve another Mogan (one built with its own options by ``mogan_factory``)."""
    with contextlib.ExitStack() as stack:

        def serve(other: Mogan) -> Api:
            server = stack.enter_context(ThreadedServer(other.app))
            client = stack.enter_context(conformance.client(server.url, timeout=30))
            return Api(client)

        yield serve


@pytest.fixture
def fleet(api: Api) -> dict[str, Any]:
    """Two nodes per zone, a public type, an image and a network."""
    nodes = [api.enrol(f"node-{zone}-{i}", zone=zone) for zone in ("az1", "az2") for i in range(2)]
    return {
        "nodes": nodes,
        "type": api.make_type(),
        "image": api.make_image(),
        "network": api.make_network(),
    }
