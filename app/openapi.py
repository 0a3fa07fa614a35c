"""The OpenAPI document, made honest about errors: every 4xx/5xx answer is problem+json."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.schemas.common import Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for defs_name, definition in schemas["Problem"].pop("$defs", {}).items():
            schemas.setdefault(defs_name, definition)
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    if code.isdigit() and int(code) >= 400:
                        response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
