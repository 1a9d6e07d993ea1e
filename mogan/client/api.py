"""The Python SDK: Mogan's HTTP API as typed calls over a keystoneauth session.

Authentication is keystoneauth's (a Keystone session from clouds.yaml or ``OS_*`` variables),
or none against a ``noauth`` Mogan at a fixed URL. Lists follow the ``next`` links, so they
return every item, page by page. A refusal raises ``MoganAPIError`` carrying the status, the
service's fault string and the request id to quote to an operator.
"""

from __future__ import annotations

import base64
import builtins
import time
import uuid as uuid_module
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session

from mogan.wire import bodies, fault_of, next_page

SERVICE_TYPE = "baremetal-compute"


class MoganAPIError(Exception):
    """Mogan refused a request: ``status``, its ``fault`` string and the ``request_id``."""

    def __init__(self, status: int, fault: str, request_id: str | None) -> None:
        super().__init__(f"{fault} (HTTP {status}, request {request_id})" if request_id else fault)
        self.status = status
        self.fault = fault
        self.request_id = request_id


class NotFoundError(MoganAPIError):
    """The resource does not exist (or is not visible to the caller)."""


class WaitFailed(Exception):
    """An instance ended in ``error`` (or vanished) while a caller waited for another state."""

    def __init__(self, message: str, instance: Instance | None = None) -> None:
        super().__init__(message)
        self.instance = instance


class Instance(bodies.Instance):
    """An instance as Mogan shows it (``mogan.wire.bodies.Instance``), and the id of the
    request that answered with it (for a create: the action's id in its history)."""

    request_id: str | None = None

    @classmethod
    def from_body(cls, body: Mapping[str, Any], request_id: str | None = None) -> Instance:
        return cls.model_validate({**body, "request_id": request_id})

    @property
    def ip_addresses(self) -> list[str]:
        """Every address of the instance, fixed then floating, in port order."""
        return [a.addr for listed in self.addresses.values() for a in listed]


#: One step an engine carried out for an action (``host``: for operators only).
ActionEvent = bodies.ActionEvent


class Action(bodies.Action):
    """A request that changed an instance, and how it ended (``result`` None: not yet)."""

    #: Only from ``Instances.action``; a list leaves them out.
    events: tuple[bodies.ActionEvent, ...] = ()

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Action:
        return cls.model_validate(body)


@dataclass(frozen=True)
class Resource:
    """A type, node, image, network or zone: its ``uuid``, ``name`` and the whole body."""

    uuid: str
    name: str
    body: dict[str, Any]

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Resource:
        return cls(
            str(body.get("uuid", body.get("name", ""))), str(body.get("name", "")), dict(body)
        )


def _is_uuid(value: str) -> bool:
    try:
        uuid_module.UUID(value)
    except ValueError:
        return False
    return True


class Client:
    """Mogan's API. Build it from a keystoneauth session (``endpoint_override`` for a fixed
    URL), or with ``Client.noauth(url)``."""

    def __init__(
        self,
        session: ks_session.Session,
        *,
        endpoint_override: str | None = None,
        interface: str | None = None,
        region_name: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._http = ks_adapter.Adapter(
            session,
            service_type=SERVICE_TYPE,
            endpoint_override=endpoint_override,
            interface=interface,
            region_name=region_name,
            additional_headers=dict(headers or {}),
        )
        self.instances = Instances(self)
        self.types = Collection(self, "types", "types")
        self.nodes = Nodes(self)
        self.images = Collection(self, "images", "images")
        self.networks = Collection(self, "networks", "networks")
        self.keypairs = KeyPairs(self)
        self.server_groups = Collection(self, "server_groups", "server_groups")
        self.deploy_templates = Collection(self, "deploy_templates", "deploy_templates")
        self.quotas = Quotas(self)

    @classmethod
    def noauth(
        cls,
        url: str,
        *,
        project_id: str | None = None,
        user_id: str | None = None,
        roles: str | None = None,
    ) -> Client:
        """A client for a ``noauth`` Mogan: the caller is named by headers, if at all."""
        headers = {
            name: value
            for name, value in (
                ("X-Project-Id", project_id),
                ("X-User-Id", user_id),
                ("X-Roles", roles),
            )
            if value
        }
        return cls(ks_session.Session(), endpoint_override=url.rstrip("/"), headers=headers)

    def availability_zones(self) -> list[str]:
        return [str(z) for z in self.request("GET", "/v1/availability_zones")["availability_zones"]]

    # -- HTTP ----------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """One call to the API; the decoded JSON answer (None for an empty one)."""
        return self.request_with_id(method, path, body, **params)[0]

    def request_with_id(
        self, method: str, path: str, body: Any = None, **params: Any
    ) -> tuple[Any, str | None]:
        """``request``, and the id Mogan answered it with (``X-OpenStack-Request-Id``): for
        a change, the id of its action in the instance's history."""
        kwargs: dict[str, Any] = {"raise_exc": False}
        if body is not None:
            kwargs["json"] = body
        if params:
            kwargs["params"] = {k: v for k, v in params.items() if v is not None}
        try:
            response = self._http.request(path, method, **kwargs)
        except ks_exceptions.ConnectFailure as exc:
            raise MoganAPIError(0, f"Mogan could not be reached: {exc}", None) from None
        request_id = response.headers.get("X-OpenStack-Request-Id")
        if response.status_code >= 400:
            error = NotFoundError if response.status_code == 404 else MoganAPIError
            fault = fault_of(response.status_code, response.text, response.reason)
            raise error(response.status_code, fault, request_id)
        return (response.json() if response.content else None), request_id

    def pages(self, path: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following its ``next`` links."""
        body = self.request("GET", path, **params)
        while True:
            yield from body[key]
            following = next_page(body, key)
            if following is None:
                return
            body = self.request("GET", following)


class Collection:
    """The generic part of every collection: list, find by name or UUID, show, create,
    delete."""

    def __init__(self, client: Client, path: str, key: str) -> None:
        self._client = client
        self._path = path
        self._key = key

    def list(self, **filters: Any) -> builtins.list[Resource]:
        return [
            Resource.from_body(b)
            for b in self._client.pages(f"/v1/{self._path}", self._key, **filters)
        ]

    def get(self, ident: str) -> Resource:
        return Resource.from_body(self._client.request("GET", f"/v1/{self._path}/{ident}"))

    def find(self, ident: str) -> Resource:
        """By UUID, or by unique name."""
        if _is_uuid(ident):
            return self.get(ident)
        found = [r for r in self.list() if r.name == ident]
        return _one(found, self._path, ident)

    def create(self, body: Mapping[str, Any]) -> Resource:
        return Resource.from_body(self._client.request("POST", f"/v1/{self._path}", dict(body)))

    def update(self, ident: str, patch: builtins.list[dict[str, Any]]) -> Resource:
        return Resource.from_body(self._client.request("PATCH", f"/v1/{self._path}/{ident}", patch))

    def delete(self, ident: str) -> None:
        self._client.request("DELETE", f"/v1/{self._path}/{ident}")


class Nodes(Collection):
    """Nodes (operators only), with their lifecycle: inspection, cleaning, maintenance."""

    def __init__(self, client: Client) -> None:
        super().__init__(client, "nodes", "nodes")

    def inspect(self, ident: str, *, overwrite: bool = False) -> Resource:
        """Start an inspection; the node as it is now (``inspecting``)."""
        body = {"overwrite": True} if overwrite else None
        return Resource.from_body(self._client.request("POST", f"/v1/nodes/{ident}/inspect", body))

    def clean(self, ident: str, *, mode: str | None = None) -> Resource:
        """Start a clean (``metadata``, ``full``; the node's own mode by default)."""
        body = {"mode": mode} if mode else None
        return Resource.from_body(self._client.request("POST", f"/v1/nodes/{ident}/clean", body))

    def inventory(self, ident: str) -> dict[str, Any]:
        """What the last inspection found (``inventory``, ``inspected_at``)."""
        return dict(self._client.request("GET", f"/v1/nodes/{ident}/inventory"))

    def history(self, ident: str) -> builtins.list[dict[str, Any]]:
        """The node's inspections and cleans, newest first, each with its steps."""
        return list(self._client.request("GET", f"/v1/nodes/{ident}/history")["history"])

    def traits(self, ident: str) -> builtins.list[str]:
        return [str(t) for t in self._client.request("GET", f"/v1/nodes/{ident}/traits")["traits"]]

    def add_trait(self, ident: str, trait: str) -> None:
        self._client.request("PUT", f"/v1/nodes/{ident}/traits/{quote(trait, safe='')}")

    def remove_trait(self, ident: str, trait: str) -> None:
        self._client.request("DELETE", f"/v1/nodes/{ident}/traits/{quote(trait, safe='')}")

    def set_maintenance(self, ident: str, reason: str | None = None) -> None:
        body = {"reason": reason} if reason else None
        self._client.request("PUT", f"/v1/nodes/{ident}/maintenance", body)

    def unset_maintenance(self, ident: str) -> None:
        """Lift the maintenance (a node whose clean failed is cleaned again)."""
        self._client.request("DELETE", f"/v1/nodes/{ident}/maintenance")

    def validate(self, ident: str) -> dict[str, dict[str, Any]]:
        """Each interface as the last verification found it: ``{"power": {"result": True,
        "reason": None}, …}``."""
        return dict(self._client.request("GET", f"/v1/nodes/{ident}/validate"))

    def verify(self, ident: str) -> Resource:
        """Start a check of the node's BMC and interfaces; the node as it is now."""
        return Resource.from_body(self._client.request("POST", f"/v1/nodes/{ident}/verify"))

    def sync(self, *, wait: bool = True, timeout: float = 600, poll: float = 0.5) -> dict[str, Any]:
        """Sync the nodes of Ironic now; with ``wait``, the sync's record once it has ended
        (``result`` ``success`` with ``added``, ``updated``, ``removed``, ``repaired``,
        ``orphans``, ``skipped``; or ``error`` with the reason in ``message``)."""
        started = dict(self._client.request("POST", "/v1/nodes/sync"))
        deadline = time.monotonic() + timeout
        while wait and started["result"] is None:
            if time.monotonic() > deadline:
                raise MoganAPIError(0, f"the sync {started['request_id']} is still running", None)
            time.sleep(poll)
            for sync in self.syncs():
                if sync["request_id"] == started["request_id"]:
                    started = sync
        return started

    def syncs(self) -> builtins.list[dict[str, Any]]:
        """The syncs operators asked for, newest first."""
        return list(self._client.request("GET", "/v1/nodes/sync")["syncs"])


class KeyPairs:
    """The caller's SSH key pairs, by name; an administrator may name another ``user_id``."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @staticmethod
    def _whose(user_id: str | None) -> dict[str, str]:
        return {"user_id": user_id} if user_id else {}

    def list(self, *, user_id: str | None = None) -> builtins.list[Resource]:
        pages = self._client.pages("/v1/keypairs", "keypairs", **self._whose(user_id))
        return [Resource.from_body(body) for body in pages]

    def get(self, name: str, *, user_id: str | None = None) -> Resource:
        body = self._client.request("GET", f"/v1/keypairs/{name}", **self._whose(user_id))
        return Resource.from_body(body)

    def create(
        self, name: str, *, public_key: str | None = None, user_id: str | None = None
    ) -> Resource:
        """Import ``public_key``, or without one generate a pair: then, and only then, the
        answer's ``body["private_key"]`` holds the private key."""
        body: dict[str, Any] = {"name": name}
        if public_key is not None:
            body["public_key"] = public_key
        if user_id:
            body["user_id"] = user_id
        return Resource.from_body(self._client.request("POST", "/v1/keypairs", body))

    def delete(self, name: str, *, user_id: str | None = None) -> None:
        self._client.request("DELETE", f"/v1/keypairs/{name}", **self._whose(user_id))


class Quotas:
    """A project's quota limits (operators) and its usage against them (its readers too)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def get(self, project_id: str) -> dict[str, Any]:
        return dict(self._client.request("GET", f"/v1/quotas/{project_id}"))

    def set(self, project_id: str, **limits: Any) -> dict[str, Any]:
        """Set the named limits (``instances=50``, ``resources={"CUSTOM_GOLD": 4}``…);
        ``-1`` is unlimited."""
        return dict(self._client.request("PUT", f"/v1/quotas/{project_id}", limits))

    def reset(self, project_id: str) -> None:
        self._client.request("DELETE", f"/v1/quotas/{project_id}")

    def usage(self, project_id: str | None = None) -> dict[str, Any]:
        """A project's usage against its limits; without ``project_id`` the caller's own
        (as ``openstack quota show`` does), learnt from ``GET /v1/me``."""
        if project_id is None:
            project_id = str(self._client.request("GET", "/v1/me")["project_id"])
        return dict(self._client.request("GET", f"/v1/quotas/{project_id}/usage"))


def _one(found: builtins.list[Any], kind: str, ident: str) -> Any:
    if not found:
        raise NotFoundError(404, f"No {kind.rstrip('s')} with name or UUID {ident!r}.", None)
    if len(found) > 1:
        raise MoganAPIError(409, f"{len(found)} {kind} are named {ident!r}; use the UUID.", None)
    return found[0]


class Instances:
    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self, *, all_tenants: bool = False, **filters: Any) -> builtins.list[Instance]:
        params = {**filters, "all_tenants": 1 if all_tenants else None}
        return [
            Instance.from_body(b)
            for b in self._client.pages("/v1/instances/detail", "instances", **params)
        ]

    def get(self, ident: str) -> Instance:
        return Instance.from_body(self._client.request("GET", f"/v1/instances/{ident}"))

    def find(self, ident: str) -> Instance:
        if _is_uuid(ident):
            return self.get(ident)
        return _one(self.list(name=ident), "instances", ident)

    def create(
        self,
        name: str,
        *,
        instance_type_uuid: str,
        image_uuid: str,
        networks: builtins.list[dict[str, str]],
        availability_zone: str | None = None,
        description: str | None = None,
        extra: Mapping[str, str] | None = None,
        key_name: str | None = None,
        user_data: bytes | None = None,
        metadata: Mapping[str, str] | None = None,
        tags: builtins.list[str] | None = None,
        scheduler_hints: Mapping[str, Any] | None = None,
    ) -> Instance:
        """``key_name`` names one of your key pairs; ``user_data`` (at most 64 KiB) and
        ``metadata`` reach the machine on its config drive, as cloud-init reads them;
        ``scheduler_hints`` may name a server ``group`` and ``different_host``/``same_host``
        instances."""
        body = self._body(
            name,
            instance_type_uuid=instance_type_uuid,
            image_uuid=image_uuid,
            networks=networks,
            availability_zone=availability_zone,
            description=description,
            extra=extra,
            key_name=key_name,
            user_data=user_data,
            metadata=metadata,
            tags=tags,
            scheduler_hints=scheduler_hints,
        )
        created, request_id = self._client.request_with_id("POST", "/v1/instances", body)
        return Instance.from_body(created, request_id)

    def create_many(
        self, name: str, *, min_count: int, max_count: int, **create: Any
    ) -> tuple[builtins.list[Instance], str]:
        """As many instances as fit, from ``min_count`` (all or nothing) to ``max_count``,
        named ``name-1``…; the instances and the reservation they share. ``create`` takes
        ``create()``'s keywords."""
        body = self._body(name, **create)
        body.update(min_count=min_count, max_count=max_count)
        created, request_id = self._client.request_with_id("POST", "/v1/instances", body)
        made = [Instance.from_body(b, request_id) for b in created["instances"]]
        return made, str(created["reservation_id"])

    @staticmethod
    def _body(
        name: str,
        *,
        instance_type_uuid: str,
        image_uuid: str,
        networks: builtins.list[dict[str, str]],
        availability_zone: str | None = None,
        description: str | None = None,
        extra: Mapping[str, str] | None = None,
        key_name: str | None = None,
        user_data: bytes | None = None,
        metadata: Mapping[str, str] | None = None,
        tags: builtins.list[str] | None = None,
        scheduler_hints: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": name,
            "instance_type_uuid": instance_type_uuid,
            "image_uuid": image_uuid,
            "networks": networks,
        }
        if availability_zone:
            body["availability_zone"] = availability_zone
        if description:
            body["description"] = description
        if extra:
            body["extra"] = dict(extra)
        if key_name:
            body["key_name"] = key_name
        if user_data is not None:
            body["user_data"] = base64.b64encode(user_data).decode()
        if metadata:
            body["metadata"] = dict(metadata)
        if tags:
            body["tags"] = builtins.list(tags)
        if scheduler_hints:
            body["scheduler_hints"] = dict(scheduler_hints)
        return body

    def update(self, ident: str, patch: builtins.list[dict[str, Any]]) -> Instance:
        return Instance.from_body(self._client.request("PATCH", f"/v1/instances/{ident}", patch))

    def delete(self, ident: str) -> str | None:
        """Start the delete; the request id (its action's)."""
        return self._client.request_with_id("DELETE", f"/v1/instances/{ident}")[1]

    def rebuild(
        self, ident: str, *, image_uuid: str | None = None, preserve_ephemeral: bool = False
    ) -> str | None:
        """Redeploy the instance on its node from ``image_uuid`` (default: its image); the
        request id (its action's)."""
        body: dict[str, Any] = {"target": "rebuild", "preserve_ephemeral": preserve_ephemeral}
        if image_uuid:
            body["image_uuid"] = image_uuid
        path = f"/v1/instances/{ident}/states/provision"
        return self._client.request_with_id("PUT", path, body)[1]

    def rescue(
        self, ident: str, *, rescue_password: str | None = None, image_uuid: str | None = None
    ) -> tuple[str, str | None]:
        """Boot the instance's node into a rescue system: the rescue password (the one given,
        or the one Mogan made) and the request id (its action's)."""
        body = {
            key: value
            for key, value in (("rescue_password", rescue_password), ("image_uuid", image_uuid))
            if value is not None
        }
        path = f"/v1/instances/{ident}/states/rescue"
        answer, request_id = self._client.request_with_id("POST", path, body)
        return str(answer["rescue_password"]), request_id

    def console_url(self, ident: str) -> str:
        """A WebSocket URL to the instance's serial console, good for one connection."""
        body = {"protocol": "serial", "type": "websocket"}
        answer = self._client.request("POST", f"/v1/instances/{ident}/remote_consoles", body)
        return str(answer["remote_console"]["url"])

    def unrescue(self, ident: str) -> str | None:
        """Boot the rescued instance's own disk again; the request id (its action's)."""
        path = f"/v1/instances/{ident}/states/rescue"
        return self._client.request_with_id("DELETE", path)[1]

    def attach_interface(
        self,
        ident: str,
        *,
        net_id: str | None = None,
        port_id: str | None = None,
        fixed_ip: str | None = None,
        port_type: str | None = None,
    ) -> str | None:
        """Put another NIC of the instance's node on a network (or a Neutron port); the
        request id (its action's)."""
        given = {"net_id": net_id, "port_id": port_id, "fixed_ip": fixed_ip, "port_type": port_type}
        body = {key: value for key, value in given.items() if value is not None}
        path = f"/v1/instances/{ident}/networks/interfaces"
        return self._client.request_with_id("POST", path, body)[1]

    def detach_interface(self, ident: str, port_id: str) -> str | None:
        path = f"/v1/instances/{ident}/networks/interfaces/{port_id}"
        return self._client.request_with_id("DELETE", path)[1]

    def add_floating_ip(self, ident: str, address: str, fixed_address: str | None = None) -> None:
        """Associate the caller's Neutron floating IP ``address`` with the instance."""
        body = {"address": address}
        if fixed_address:
            body["fixed_address"] = fixed_address
        self._client.request("POST", f"/v1/instances/{ident}/networks/floatingips", body)

    def remove_floating_ip(self, ident: str, address: str) -> None:
        path = f"/v1/instances/{ident}/networks/floatingips/{quote(address, safe='')}"
        self._client.request("DELETE", path)

    def tags(self, ident: str) -> builtins.list[str]:
        return [str(t) for t in self._client.request("GET", f"/v1/instances/{ident}/tags")["tags"]]

    def set_tags(self, ident: str, tags: builtins.list[str]) -> builtins.list[str]:
        """Replace every tag of the instance."""
        body = self._client.request("PUT", f"/v1/instances/{ident}/tags", {"tags": tags})
        return [str(t) for t in body["tags"]]

    def add_tag(self, ident: str, tag: str) -> None:
        self._client.request("PUT", f"/v1/instances/{ident}/tags/{quote(tag, safe='')}")

    def remove_tag(self, ident: str, tag: str) -> None:
        self._client.request("DELETE", f"/v1/instances/{ident}/tags/{quote(tag, safe='')}")

    def actions(self, ident: str) -> builtins.list[Action]:
        """Every action on the instance, newest first (without their events)."""
        pages = self._client.pages(f"/v1/instances/{ident}/actions", "actions")
        return [Action.from_body(body) for body in pages]

    def action(self, ident: str, request_id: str) -> Action:
        """One action on the instance, with its events."""
        path = f"/v1/instances/{ident}/actions/{request_id}"
        return Action.from_body(self._client.request("GET", path))

    def lock(self, ident: str, reason: str | None = None) -> Instance:
        """Lock the instance against changes by non-administrators."""
        body: dict[str, Any] = {"target": True}
        if reason:
            body["reason"] = reason
        path = f"/v1/instances/{ident}/states/lock"
        return Instance.from_body(self._client.request("PUT", path, body))

    def unlock(self, ident: str) -> Instance:
        path = f"/v1/instances/{ident}/states/lock"
        return Instance.from_body(self._client.request("PUT", path, {"target": False}))

    def set_power_state(self, ident: str, target: str) -> str | None:
        """Ask for the power change; the request id (its action's)."""
        path = f"/v1/instances/{ident}/states/power"
        return self._client.request_with_id("PUT", path, {"target": target})[1]

    def states(self, ident: str) -> dict[str, Any]:
        return dict(self._client.request("GET", f"/v1/instances/{ident}/states"))

    def wait(
        self,
        ident: str,
        done: Callable[[Instance], bool],
        *,
        timeout: float = 1800,
        interval: float = 1.0,
        progress: Callable[[Instance], None] | None = None,
        gone_is_done: bool = False,
        request_id: str | None = None,
        on_event: Callable[[ActionEvent], None] | None = None,
    ) -> Instance | None:
        """Poll until ``done(instance)``; ``WaitFailed`` when it ends in ``error`` instead (or
        vanishes, unless ``gone_is_done``). With ``request_id`` and ``on_event``, each step
        recorded for that request's action is reported as it appears."""
        deadline = time.monotonic() + timeout
        last: Instance | None = None
        reported = 0
        while True:
            if request_id and on_event is not None:
                reported = self._report_events(ident, request_id, reported, on_event)
            try:
                instance = self.get(ident)
            except NotFoundError:
                if gone_is_done:
                    return None
                raise WaitFailed(f"Instance {ident} no longer exists.", last) from None
            if progress is not None and (last is None or _moved(last, instance)):
                progress(instance)
            last = instance
            finished = done(instance) or instance.status == "error"
            if finished and request_id and on_event is not None:  # the last step's events
                reported = self._report_events(ident, request_id, reported, on_event)
            if done(instance):
                return instance
            if instance.status == "error":
                fault = instance.fault.message if instance.fault else "no fault recorded"
                raise WaitFailed(f"Instance {instance.name} is in error: {fault}", instance)
            if time.monotonic() > deadline:
                raise WaitFailed(
                    f"Gave up waiting for instance {instance.name} after {timeout:.0f} s "
                    f"(status {instance.status}, power {instance.power_state}).",
                    instance,
                )
            time.sleep(interval)

    def _report_events(
        self,
        ident: str,
        request_id: str,
        reported: int,
        on_event: Callable[[ActionEvent], None],
    ) -> int:
        """Report the action's events after the first ``reported``; how many there are now.
        The record of a deleted instance is for operators only: then nothing more is shown."""
        try:
            events = self.action(ident, request_id).events
        except NotFoundError:
            return reported
        for event in events[reported:]:
            on_event(event)
        return max(reported, len(events))


def _moved(before: Instance, after: Instance) -> bool:
    return (before.status, before.power_state) != (after.status, after.power_state)
