"""Runs sushy-tools' emulator; with ``--fast``, power changes take effect at once.

The fake systems driver delays every power change by a random 1-11 s, as real BMCs take
seconds; tests that are not about that delay patch it to 0 (see REAL-PEERS.md).

It also reports no CPUs, memory or processors ("Not implemented"), NICs without a link speed,
and storage volumes its storage layer cannot find or delete. ``InventoryFakeDriver`` reports
what a system's entry in ``SUSHY_EMULATOR_FAKE_SYSTEMS`` says (``cpus``, ``memory_gib``,
``processors``, ``speed_mbps`` per NIC), through the emulator's own Redfish payloads, as a real
BMC would; volumes are what the emulator's volume store holds, and ``DELETE`` on one removes it
(the Redfish ``Volume.Delete`` every storage service offers, which the emulator lacks).

Its fake driver has no BIOS either. Here a system has one, as a BMC keeps it: current
attributes (a system's ``bios`` entry, or ``FACTORY_BIOS``), checked against the emulator's own
attribute registry on ``PATCH …/BIOS/Settings`` (an unknown name or a value the registry does
not allow is a 400), held as *pending* (``GET …/BIOS/Settings`` shows them) and applied when
the system next powers on or restarts. ``Bios.ResetBios`` makes the factory settings pending.
Volumes keep the ``RAIDType`` they were created with, and get an id of their own (the
emulator's is the process id and the second, the same for two volumes made in one second).
"""

import functools
import inspect
import json
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

#: The BIOS a system has until told otherwise: one value for each writable attribute of the
#: emulator's registry (``bios_registry.json``).
FACTORY_BIOS: dict[str, Any] = {
    "BootMode": "Uefi",
    "EmbeddedSata": "Raid",
    "L2Cache": "10x256 KB",
    "NicBoot1": "NetworkBoot",
    "NumCores": 10,
    "ProcTurboMode": "Enabled",
    "QuietBoot": True,
    "SecureBootStatus": "Enabled",
    "SerialNumber": "QPX12345",
}

_JSON_TYPES = {"Integer": int, "Boolean": bool, "String": str, "Enumeration": str}


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

        # -- BIOS: current, pending, applied at the next power-on ---------------------------

        def get_bios(self, identity):  # type: ignore[no-untyped-def]
            return dict(self._get(identity).get("bios") or FACTORY_BIOS)

        def get_pending_bios(self, identity):  # type: ignore[no-untyped-def]
            return dict(self._get(identity).get("bios_pending") or {})

        def set_bios(self, identity, attributes):  # type: ignore[no-untyped-def]
            if not isinstance(attributes, dict) or not attributes:
                raise error.BadRequest("Attributes must be a non-empty object")
            for name, value in attributes.items():
                _check_attribute(name, value)
            system = self._get(identity)
            self._update(system, bios_pending={**system.get("bios_pending", {}), **attributes})

        def reset_bios(self, identity):  # type: ignore[no-untyped-def]
            self._update(self._get(identity), bios_pending=dict(FACTORY_BIOS))

        def set_power_state(self, identity, state):  # type: ignore[no-untyped-def]
            if "On" in state or "Restart" in state:
                system = self._get(identity)
                if "Restart" in state or system["power_state"] != "On":
                    self._update(system, bios_boot=True)
            super().set_power_state(identity, state)

        def _update_if_needed(self, system):  # type: ignore[no-untyped-def]
            system = super()._update_if_needed(system)
            if system.get("bios_boot") and not system.get("pending_power"):
                # The system has booted: its firmware takes the pending settings.
                bios = {**(system.get("bios") or FACTORY_BIOS), **system.get("bios_pending", {})}
                self._update(system, bios=bios, bios_pending={}, bios_boot=False)
            return system

    def _serialise(driver: type) -> None:
        """Every public method of ``driver`` holds one lock for its whole run.

        The emulator serves each request on a thread of its own, and the fake driver reads a
        system, changes it and writes it back whole. Unserialised, a read that applied a
        pending power change (or the BIOS taken at a boot) could write back a copy made before
        a concurrent power request stored its own change, and that power-on was lost: the
        machine stayed off however long it was waited for.
        """
        lock = threading.RLock()

        def held(method):  # type: ignore[no-untyped-def]
            @functools.wraps(method)
            def run(*args, **kwargs):  # type: ignore[no-untyped-def]
                with lock:
                    return method(*args, **kwargs)

            return run

        for name in dir(driver):
            member = inspect.getattr_static(driver, name)
            if not name.startswith("_") and inspect.isfunction(member):
                setattr(driver, name, held(member))

    def _registry() -> dict[str, Any]:
        text = main.app.jinja_loader.get_source(main.app.jinja_env, "bios_registry.json")[0]
        entries = json.loads(text)["RegistryEntries"]["Attributes"]
        return {entry["AttributeName"]: entry for entry in entries}

    def _check_attribute(name: str, value: Any) -> None:
        entry = _registry().get(name)
        if entry is None:
            raise error.BadRequest(f"BIOS attribute {name} is not in the attribute registry")
        if entry.get("ReadOnly") or entry["Type"] not in _JSON_TYPES:
            raise error.BadRequest(f"BIOS attribute {name} cannot be written")
        if not isinstance(value, _JSON_TYPES[entry["Type"]]) or (
            entry["Type"] == "Integer" and isinstance(value, bool)
        ):
            raise error.BadRequest(f"BIOS attribute {name} takes a {entry['Type']}, not {value!r}")
        allowed = [v["ValueName"] for v in entry.get("Value") or []]
        if allowed and value not in allowed:
            raise error.BadRequest(f"BIOS attribute {name} takes {', '.join(allowed)}")

    _serialise(InventoryFakeDriver)
    fakedriver.FakeDriver = InventoryFakeDriver  # type: ignore[misc]
    templates = Path(__file__).with_name("emulator_templates")
    main.app.jinja_loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(templates)), main.app.jinja_loader]
    )

    served_settings = main.app.view_functions["bios_settings"]

    @main.api_utils.ensure_instance_access
    @main.api_utils.returns_json
    def pending_bios_settings(identity):  # type: ignore[no-untyped-def]
        if flask.request.method != "GET":
            return served_settings(identity)
        return main.app.render_template(
            "bios_settings.json",
            identity=identity,
            bios_pending_attributes=json.dumps(main.app.systems.get_pending_bios(identity)),
        )

    main.app.view_functions["bios_settings"] = pending_bios_settings

    served_volumes = main.app.view_functions["volumes_collection"]

    @main.api_utils.ensure_instance_access
    @main.api_utils.returns_json
    def volumes_keeping_their_raid_type(identity, storage_id):  # type: ignore[no-untyped-def]
        if flask.request.method != "POST":
            return served_volumes(identity, storage_id)
        body = flask.request.json or {}
        volume = {
            "Id": f"volume-{uuid.uuid4().hex[:12]}",
            "Name": body.get("Name"),
            "VolumeType": body.get("VolumeType"),
            "RAIDType": body.get("RAIDType"),
            "CapacityBytes": body.get("CapacityBytes"),
        }
        volume["libvirtVolName"] = volume["Id"]
        main.app.volumes.add_volume(main.app.systems.uuid(identity), storage_id, volume)
        location = f"/redfish/v1/Systems/{identity}/Storage/{storage_id}/Volumes/{volume['Id']}"
        return flask.Response(status=201, headers={"Location": location})

    main.app.view_functions["volumes_collection"] = volumes_keeping_their_raid_type

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
