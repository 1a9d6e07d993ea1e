"""Runs sushy-tools' emulator; with ``--fast``, power changes take effect at once.

The fake systems driver delays every power change by a random 1-11 s, as real BMCs take
seconds; tests that are not about that delay patch it to 0 (see REAL-PEERS.md).

It also reports no CPUs, memory or processors ("Not implemented"), NICs without a link speed,
and storage volumes its storage layer cannot find or delete. ``InventoryFakeDriver`` reports
what a system's entry in ``SUSHY_EMULATOR_FAKE_SYSTEMS`` says (``cpus``, ``memory_gib``,
``processors``, ``speed_mbps`` per NIC), through the emulator's own Redfish payloads, as a real
BMC would; volumes are what the emulator's volume store holds, and ``DELETE`` on one removes it
(the Redfish ``Volume.Delete`` every storage service offers, which the emulator lacks).
"""

import sys
from pathlib import Path


def _patch() -> None:
    import flask
    import jinja2
    from sushy_tools import error
    from sushy_tools.emulator import main
    from sushy_tools.emulator.resources.systems import fakedriver

    class InventoryFakeDriver(fakedriver.FakeDriver):
        def get_total_cpus(self, identity):  # type: ignore[no-untyped-def]
            return self._get(identity).get("cpus")

        def get_total_memory(self, identity):  # type: ignore[no-untyped-def]
            return self._get(identity).get("memory_gib")

        def get_processors(self, identity):  # type: ignore[no-untyped-def]
            return [dict(p, Id=p["id"]) for p in self._get(identity).get("processors", [])]

        def get_nics(self, identity):  # type: ignore[no-untyped-def]
            return [
                {"id": nic.get("mac"), "mac": nic.get("mac"), "speed_mbps": nic.get("speed_mbps")}
                for nic in self._get(identity)["nics"]
            ]

        def find_or_create_storage_volume(self, data):  # type: ignore[no-untyped-def]
            return data["Id"]

    fakedriver.FakeDriver = InventoryFakeDriver  # type: ignore[misc]
    templates = Path(__file__).with_name("emulator_templates")
    main.app.jinja_loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(templates)), main.app.jinja_loader]
    )

    @main.app.route(
        "/redfish/v1/Systems/<identity>/Storage/<stg_id>/Volumes/<vol_id>",
        methods=["DELETE"],
        endpoint="delete_volume",
    )
    @main.api_utils.ensure_instance_access
    def delete_volume(identity, stg_id, vol_id):  # type: ignore[no-untyped-def]
        uuid = main.app.systems.uuid(identity)
        for volume in list(main.app.volumes.get_volumes_col(uuid, stg_id) or []):
            if volume["Id"] == vol_id:
                main.app.volumes.delete_volume(uuid, stg_id, volume)
                return flask.Response(status=204)
        raise error.NotFound()


if __name__ == "__main__":
    config, fast = sys.argv[1], "--fast" in sys.argv[2:]
    if fast:
        from sushy_tools.emulator.resources.systems import fakedriver

        fakedriver.random.randint = lambda a, b: 0  # type: ignore[assignment]
    _patch()
    from sushy_tools.emulator import main

    sys.argv = ["sushy-emulator", "--config", config]
    sys.exit(main.main())
