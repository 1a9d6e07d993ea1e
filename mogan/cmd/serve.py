"""``mogan serve``: the API and an engine in one process (the all-in-one default)."""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Iterator

import uvicorn
from oslo_config import cfg

from mogan.cmd import schema
from mogan.root import build

LOG = logging.getLogger("mogan.serve")


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, which would end the
    process before the engine hands its unfinished operations back; we only ask it to exit."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve(conf: cfg.ConfigOpts, *, demo: bool) -> int:
    mogan = build(conf)
    schema.prepare(mogan.db)
    base = f"http://{conf.api.host_ip}:{conf.api.port}"
    if demo:
        from mogan.services.demo import ensure_demo_fleet

        fleet = ensure_demo_fleet(mogan.services)
        print(
            ("Enrolled" if fleet.created else "Reusing") + " the demo fleet: 8 fake nodes "
            "in az1 and az2, type bm.general, image ubuntu-24.04, network demo-net.",
            flush=True,
        )
        tenant = "-H 'X-Project-Id: demo' -H 'X-User-Id: demo-user' -H 'X-Roles: member'"
        print(
            f"Mogan API: {base}/v1 (noauth: a request names its caller with headers; one "
            "without them is refused)\n"
            f"As a tenant of project demo ({tenant}):\n"
            f"  curl -s -X POST {base}/v1/instances {tenant} "
            '-H \'Content-Type: application/json\' -d \'{"name": "my-first-server", '
            f'"instance_type_uuid": "{fleet.type_uuid}", "image_uuid": '
            f'"{fleet.image_uuid}", "networks": [{{"net_id": '
            f'"{fleet.network_uuid}"}}]}}\'\n  curl -s {base}/v1/instances/detail {tenant}\n'
            "As the operator: -H 'X-Project-Id: admin' -H 'X-User-Id: admin' "
            "-H 'X-Roles: admin'",
            flush=True,
        )
    else:
        print(f"Mogan API: {base}/v1", flush=True)
    if conf.dashboard.enabled:
        print(f"Dashboard: {base}{conf.dashboard.path}", flush=True)
    assert mogan.engine is not None
    mogan.engine.start()
    server = _Server(
        uvicorn.Config(
            mogan.app,
            host=conf.api.host_ip,
            port=conf.api.port,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            timeout_keep_alive=conf.api.keepalive_timeout,
        )
    )
    try:
        server.run()
    finally:
        mogan.close()
    return 0
