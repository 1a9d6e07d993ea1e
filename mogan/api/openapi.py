"""``/openapi.json``: FastAPI's document plus the schemas of bodies parsed by hand.

Bodies are parsed by ``mogan.api.http`` (so every error is the OpenStack body with the field
named); their pydantic models are published here as components the routes refer to.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter
from pydantic.json_schema import models_json_schema

from mogan import __version__
from mogan.services import schemas

_BODY_MODELS: list[Any] = [
    schemas.InstanceCreate,
    schemas.PowerRequest,
    schemas.TypeCreate,
    schemas.TypeUpdate,
    schemas.TypeAccess,
    schemas.NodeCreate,
    schemas.ImageCreate,
    schemas.NetworkCreate,
    schemas.AdoptRequest,
]


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(
            title="Mogan",
            version=__version__,
            routes=app.routes,
            description="Bare-metal compute API (v1). Errors use the "
            'OpenStack body {"error_message": "<JSON>"}.',
        )
        _, definitions = models_json_schema(
            [(model, "validation") for model in _BODY_MODELS],
            ref_template="#/components/schemas/{model}",
        )
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(definitions.get("$defs", {}))
        components["ExtraSpecs"] = TypeAdapter(schemas.ExtraSpecs).json_schema()
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
