"""The dashboard's only way to Mogan: its HTTP API, called in-process as the logged-in person.

Requests go through the whole API application (request ids, Keystone's middleware, policy,
the error table) over an ASGI transport, with no socket in between.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel
from starlette.types import ASGIApp

from mogan.dashboard.session import Session
from mogan.wire import fault_of, next_page

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """The API refused or failed: its status, its words, and the request id to quote."""

    def __init__(self, status: int, message: str, request_id: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.request_id = request_id


class Backend:
    def __init__(self, api: ASGIApp) -> None:
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api), base_url="http://localhost", timeout=60
        )

    def as_(self, session: Session | None) -> Caller:
        return Caller(self._http, session)

    def anonymous(self, headers: dict[str, str]) -> Caller:
        """A caller named only by ``headers`` (the login's first look at who it is)."""
        return Caller(self._http, None, headers)

    async def close(self) -> None:
        await self._http.aclose()


class Caller:
    """API calls as one person. ``calls`` counts them (a page's cost, in its headers)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        session: Session | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._http = http
        self._headers = dict(headers or {})
        if session is not None:
            if session.token:
                self._headers["X-Auth-Token"] = session.token
            else:
                self._headers.update(
                    {
                        "X-Project-Id": session.project_id,
                        "X-User-Id": session.user_id,
                        "X-Roles": ",".join(session.roles),
                    }
                )
        self.calls = 0
        self.last_request_id: str | None = None

    async def request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        self.calls += 1
        response = await self._http.request(
            method,
            path,
            json=body,
            params={k: v for k, v in params.items() if v is not None} or None,
            headers=self._headers,
        )
        self.last_request_id = response.headers.get("X-OpenStack-Request-Id")
        if response.status_code >= 400:
            fault = fault_of(response.status_code, response.text)
            raise ApiError(response.status_code, fault, self.last_request_id)
        return response.json() if response.content else None

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, **params)

    async def post(self, path: str, body: Any = None) -> Any:
        return await self.request("POST", path, body)

    async def put(self, path: str, body: Any = None) -> Any:
        return await self.request("PUT", path, body)

    async def patch(self, path: str, body: Any = None) -> Any:
        return await self.request("PATCH", path, body)

    async def delete(self, path: str) -> Any:
        return await self.request("DELETE", path)

    async def read(self, model: type[M], path: str, **params: Any) -> M:
        """The body at ``path``, read as the API documents it (``mogan.wire.bodies``)."""
        return model.model_validate(await self.get(path, **params))

    async def every(self, path: str, key: str, model: type[M], **params: Any) -> list[M]:
        """Every item of a collection, each read as ``model``, following its ``next`` links."""
        items: list[M] = []
        body = await self.get(path, **params)
        while True:
            items.extend(model.model_validate(item) for item in body[key])
            following = next_page(body, key)
            if following is None:
                return items
            body = await self.get(following)
