"""The OpenAPI document, made honest about errors (every 4xx/5xx answer is problem+json) and
easy on generators: short stable operation ids, one named schema per enum."""

import re
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from app.errors import ERRORS
from app.i18n import Language
from app.models import (
    Decision,
    EvaluationKind,
    MailStatus,
    MatchMode,
    MatchOrigin,
    MatchStatus,
    ReportStatus,
    Role,
    Side,
)
from app.schemas.common import STATUS_DESCRIPTIONS, Problem
from app.schemas.notifications import NOTIFICATION_TYPES

SCHEMA_REF = "#/components/schemas/"
PROBLEM_REF = {"$ref": SCHEMA_REF + "Problem"}

API_PREFIX = "/api/v1"
_VERBS = {"PUT": "replace", "PATCH": "update", "DELETE": "delete"}


def operation_id(route: APIRoute) -> str:
    """The operation id, by one rule from the route (so new routes are named without a table).

    The path's fixed segments after /api/v1 (parameters left out; `-` and `.` become `_`),
    joined by `_`, then a verb: GET → `list` when the endpoint function is named `list_…`
    (it answers a page: `items` + `next_cursor`), else `read`; POST → `create` when the
    endpoint is named `create_…` (it answers 201 with a new resource), else nothing (the last
    segment names the action: `matches_exit`); PUT → `replace`; PATCH → `update`; DELETE →
    `delete`. Examples: POST /swipes → `swipes_create`, GET /matches/{id} → `matches_read`,
    POST /notifications/{id}/read → `notifications_read`. FastAPI calls this while it builds
    the route, before the status code and response model are set: hence the endpoint's name.
    """
    path = route.path_format.removeprefix(API_PREFIX)
    parts = [part for part in path.split("/") if part and "{" not in part]
    segments = [re.sub(r"[^a-z0-9]+", "_", part.lower()).strip("_") for part in parts]
    method = sorted(route.methods or {"GET"})[0]
    name = route.name or ""
    if method == "GET":
        verb = "list" if name.startswith("list_") else "read"
    elif method == "POST":
        verb = "create" if name.startswith("create_") else ""
    else:
        verb = _VERBS.get(method, method.lower())
    return "_".join([*segments, verb] if verb else segments)


# One named schema per enum, reused wherever those values appear (a property, a query
# parameter, a list item). An enum whose values are not listed here fails
# tests/test_openapi.py: name it here. The models' enums are named after their classes (their
# values are written once, in the enum); the others are sets only the API has.
_MODEL_ENUMS: tuple[type[StrEnum], ...] = (
    Side,
    Role,
    MatchStatus,
    MatchOrigin,
    MatchMode,
    Decision,
    EvaluationKind,
    Language,
    MailStatus,
    ReportStatus,
)
ENUMS: dict[str, tuple[str, ...]] = {
    **{enum.__name__: tuple(member.value for member in enum) for enum in _MODEL_ENUMS},
    "StaffRole": ("coordinator", "admin"),
    "EndedBy": ("teacher", "professional", "coordinator"),
    "WillContinue": ("yes", "no", "maybe"),
    "SubjectGroup": ("school", "field"),
    "GoalFamily": ("own", "pupil", "organisation"),
    "OutcomeHorizon": ("short", "long"),
    "ParticipantStatus": ("no_profile", "incomplete", "looking", "trial", "active", "completed"),
    "MailType": (
        "match_created",
        "coordinator_match",
        "trial_ending",
        "behind_schedule",
        "match_ended",
    ),
}
_ENUM_BY_VALUES = {frozenset(values): name for name, values in ENUMS.items()}


def _name_enums(node: Any, schemas: dict[str, Any]) -> Any:
    """Replace every inline string enum by a $ref to its named schema."""
    if isinstance(node, list):
        return [_name_enums(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    values = node.get("enum")
    if (
        isinstance(values, list)
        and len(values) > 1
        and node.get("type", "string") == "string"  # propertyNames carry no type
        and all(isinstance(v, str) for v in values)
    ):
        name = _ENUM_BY_VALUES.get(frozenset(values))
        if name is not None:
            schemas[name] = {"type": "string", "enum": list(ENUMS[name]), "title": name}
            rest = {k: v for k, v in node.items() if k not in ("enum", "type", "title")}
            return {"$ref": f"#/components/schemas/{name}", **rest}
    return {key: _name_enums(value, schemas) for key, value in node.items()}


_PAGE = re.compile(r"Page_(\w+?)_")
_BODY = re.compile(r"Body_(\w+)")


def schema_name(name: str) -> str:
    """A generator-friendly name for the ones pydantic and FastAPI make up: the generic
    `Page[MatchOut]` (`Page_MatchOut_`) is `MatchOutPage`, like NotificationPage; a form
    body (`Body_auth_token`) is named after its operation, `AuthTokenForm`."""
    if match := _PAGE.fullmatch(name):
        return f"{match.group(1)}Page"
    if match := _BODY.fullmatch(name):
        return "".join(part.title() for part in match.group(1).split("_")) + "Form"
    return name


def _rename_schemas(node: Any, names: dict[str, str]) -> Any:
    """Every `$ref` and component name by `names` (old → new)."""
    if isinstance(node, list):
        return [_rename_schemas(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    renamed = {key: _rename_schemas(value, names) for key, value in node.items()}
    ref = renamed.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
        renamed["$ref"] = SCHEMA_REF + names.get(ref[len(SCHEMA_REF) :], ref[len(SCHEMA_REF) :])
    return renamed


def _clean_schema_names(spec: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    names = {name: schema_name(name) for name in schemas if schema_name(name) != name}
    clash = set(names.values()) & (set(schemas) - set(names))
    assert not clash, f"schema names clash: {sorted(clash)}"
    spec = _rename_schemas(spec, names)
    spec["components"]["schemas"] = {
        names.get(name, name): schema | {"title": names[name]} if name in names else schema
        for name, schema in spec["components"]["schemas"].items()
    }
    return spec


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
        spec["info"]["description"] = spec["info"].get("description", "") + error_table()
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                declare_errors(operation)
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        named: dict[str, Any] = {
            "NotificationType": {
                "type": "string",
                "enum": list(NOTIFICATION_TYPES),
                "title": "NotificationType",
                "description": "Every notification `type`; each has its own `data` shape "
                "(see NotificationPage).",
            }
        }
        spec = cast(dict[str, Any], _name_enums(spec, named))
        spec["components"]["schemas"].update(named)
        spec = _clean_schema_names(spec)
        spec["components"]["schemas"] = dict(sorted(spec["components"]["schemas"].items()))
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


# Operations that never touch the database (no 503).
NO_DATABASE = {"healthz_read", "vocabulary_read"}
RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer", "minimum": 1},
}


def error_table() -> str:
    """The one list of error codes, generated from app/errors.py's registry."""
    rows = [
        f"| `{e.code}` | {e.status} | `{e.type}` | {e.detail_nl} / {e.detail} |"
        for e in sorted(ERRORS.values(), key=lambda e: (e.status, e.code))
    ]
    return (
        "\n\n## Error codes\n\nEvery error body is `application/problem+json` with a stable "
        "`code` and its own `type` URI; `title` and `detail` follow `Accept-Language` (nl, "
        "en). 429 and 503 answers carry `Retry-After` (seconds). Any request whose body is "
        "larger than the limit gets 413.\n\n"
        "| code | status | type | detail (nl / en) |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


DEFAULT_CODES = {
    401: ["not_authenticated"],
    404: ["not_found"],
    413: ["content_too_large"],
    503: ["database_unavailable"],
}


def _default_codes(status: int, operation: dict[str, Any]) -> list[str]:
    if status in DEFAULT_CODES:
        return DEFAULT_CODES[status]
    if status == 403:  # who may call it: by the operation's area
        op_id, tags = operation.get("operationId", ""), operation.get("tags", [])
        if op_id.startswith("admin_"):
            return ["admins_only"]
        if op_id.startswith("coordinator_"):
            return ["coordinators_only"]
        return ["trajectory_read_only"] if "trajectory" in tags else ["participants_only"]
    if status == 422:
        params = {p.get("name") for p in operation.get("parameters", [])}
        return (
            ["validation_error", "text_has_nul"]
            + (["invalid_json"] if "requestBody" in operation else [])
            + (["invalid_cursor"] if "cursor" in params else [])
        )
    return [e.code for e in ERRORS.values() if e.status == status]


def declare_errors(operation: dict[str, Any]) -> None:
    """Every status the operation can answer, each with its codes; Retry-After on 429/503."""
    responses = operation.setdefault("responses", {})
    if "requestBody" in operation:
        responses.setdefault("413", {"description": STATUS_DESCRIPTIONS[413]})
    if operation.get("operationId") not in NO_DATABASE:
        responses.setdefault("503", {"description": STATUS_DESCRIPTIONS[503]})
    for status, response in responses.items():
        if not status.isdigit() or int(status) < 400:
            continue
        codes = response.pop("x-error-codes", None) or _default_codes(int(status), operation)
        response["x-error-codes"] = codes
        label = response.get("description") or STATUS_DESCRIPTIONS.get(int(status), "Error")
        response["description"] = label + ": " + ", ".join(f"`{c}`" for c in codes)
        response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
        if int(status) in (429, 503):
            response["headers"] = {"Retry-After": RETRY_AFTER}
    operation["responses"] = dict(sorted(responses.items()))


STATIC = Path(__file__).resolve().parent / "static"


def install_docs(app: FastAPI) -> None:
    """/docs with the Swagger UI shipped in the package (no CDN), OAuth2 password flow ready."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — docs",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
            oauth2_redirect_url=redirect_url,
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get(redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
