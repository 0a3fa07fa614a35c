"""The committed OpenAPI document (openapi/openapi.json) must match the app."""

import json
import re
from pathlib import Path
from typing import Any

from app.main import create_app

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_openapi_document_is_current() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    current = json.loads(json.dumps(create_app().openapi()))
    assert committed == current, "openapi/ is stale: run `make openapi` and commit the result"


def test_every_operation_is_documented() -> None:
    spec = create_app().openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert operation.get("tags"), f"{method.upper()} {path} has no tag"


def test_docs_offer_the_oauth2_password_flow() -> None:
    schemes = create_app().openapi()["components"]["securitySchemes"]
    flows = [s["flows"]["password"]["tokenUrl"] for s in schemes.values() if s["type"] == "oauth2"]
    assert flows == ["/api/v1/auth/token"]


# Today's operation ids: generated clients name their methods after these, so a change here
# breaks every app built on the document. Routes added later get their names by the same rule
# (app/openapi.py operation_id) and belong in this list once shipped.
EXPECTED_OPERATION_IDS = {
    ("POST", "/api/v1/swipes"): "swipes_create",
    ("DELETE", "/api/v1/swipes/{target_id}"): "swipes_delete",
    ("POST", "/api/v1/blocks"): "blocks_create",
    ("DELETE", "/api/v1/blocks/{user_id}"): "blocks_delete",
    ("GET", "/api/v1/feed"): "feed_list",
    ("POST", "/api/v1/auth/register"): "auth_register",
    ("POST", "/api/v1/auth/token"): "auth_token",
    ("POST", "/api/v1/auth/refresh"): "auth_refresh",
    ("GET", "/api/v1/me"): "me_read",
    ("DELETE", "/api/v1/me"): "me_delete",
    ("PUT", "/api/v1/me/profile"): "me_profile_replace",
    ("PATCH", "/api/v1/me/profile"): "me_profile_update",
    ("GET", "/api/v1/me/export"): "me_export_read",
    ("GET", "/api/v1/me/swipes"): "me_swipes_list",
    ("GET", "/api/v1/me/blocks"): "me_blocks_list",
    ("GET", "/api/v1/profiles/{user_id}"): "profiles_read",
    ("GET", "/api/v1/vocabulary"): "vocabulary_read",
    ("GET", "/api/v1/matches"): "matches_list",
    ("GET", "/api/v1/matches/{match_id}"): "matches_read",
    ("POST", "/api/v1/matches/{match_id}/confirm"): "matches_confirm",
    ("POST", "/api/v1/matches/{match_id}/exit"): "matches_exit",
    ("GET", "/api/v1/matches/{match_id}/plan"): "matches_plan_read",
    ("PUT", "/api/v1/matches/{match_id}/plan"): "matches_plan_replace",
    ("POST", "/api/v1/matches/{match_id}/meetings"): "matches_meetings_create",
    ("GET", "/api/v1/matches/{match_id}/meetings"): "matches_meetings_list",
    ("GET", "/api/v1/matches/{match_id}/progress"): "matches_progress_read",
    ("POST", "/api/v1/matches/{match_id}/evaluations"): "matches_evaluations_create",
    ("GET", "/api/v1/matches/{match_id}/evaluations"): "matches_evaluations_list",
    ("GET", "/api/v1/notifications"): "notifications_list",
    ("POST", "/api/v1/notifications/{notification_id}/read"): "notifications_read",
    ("POST", "/api/v1/notifications/read-all"): "notifications_read_all",
    ("GET", "/api/v1/coordinator/participants"): "coordinator_participants_list",
    ("GET", "/api/v1/coordinator/matches"): "coordinator_matches_list",
    ("POST", "/api/v1/coordinator/matches"): "coordinator_matches_create",
    ("GET", "/api/v1/coordinator/matches/{match_id}"): "coordinator_matches_read",
    ("POST", "/api/v1/coordinator/suggestions"): "coordinator_suggestions",
    ("GET", "/api/v1/coordinator/stats"): "coordinator_stats_read",
    (
        "GET",
        "/api/v1/coordinator/export/participants.csv",
    ): "coordinator_export_participants_csv_read",
    ("GET", "/api/v1/coordinator/export/matches.csv"): "coordinator_export_matches_csv_read",
    ("POST", "/api/v1/admin/users"): "admin_users_create",
    ("GET", "/healthz"): "healthz_read",
    ("GET", "/readyz"): "readyz_read",
}


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }


def test_operation_ids_are_short_unique_snake_case_and_stable() -> None:
    operations = _operations(create_app().openapi())
    ids = [operation["operationId"] for operation in operations.values()]
    assert len(ids) == len(set(ids)), "operation ids must be unique"
    for (method, path), operation in operations.items():
        op_id = operation["operationId"]
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", op_id), f"{method} {path}: {op_id}"
        assert len(op_id) <= 48, f"{method} {path}: {op_id} is too long"
    for key, expected in EXPECTED_OPERATION_IDS.items():
        assert key in operations, f"{key} disappeared"
        assert operations[key]["operationId"] == expected, key


def test_paged_lists_are_named_list() -> None:
    spec = create_app().openapi()
    for (method, path), operation in _operations(spec).items():
        schema = (
            operation["responses"]
            .get("200", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
        )
        name = schema.get("$ref", "").split("/")[-1]
        properties = spec["components"]["schemas"].get(name, {}).get("properties", {})
        paged = "items" in properties and "next_cursor" in properties
        assert paged == operation["operationId"].endswith("_list"), f"{method} {path}"


def test_tags_are_ascii_declared_and_one_per_operation() -> None:
    spec = create_app().openapi()
    declared = {tag["name"] for tag in spec["tags"]}
    assert all(re.fullmatch(r"[a-z_]+", name) for name in declared), declared
    for (method, path), operation in _operations(spec).items():
        assert len(operation["tags"]) == 1, f"{method} {path}: {operation['tags']}"
        assert operation["tags"][0] in declared, f"{method} {path}"


def _inline_enums(node: Any, where: str = "") -> list[str]:
    if isinstance(node, list):
        return [hit for i, item in enumerate(node) for hit in _inline_enums(item, f"{where}/{i}")]
    if not isinstance(node, dict):
        return []
    hits = [where] if len(node.get("enum", [])) > 1 else []
    return hits + [hit for k, v in node.items() for hit in _inline_enums(v, f"{where}/{k}")]


def test_every_enum_is_one_named_schema_reused() -> None:
    spec = create_app().openapi()
    schemas = spec["components"]["schemas"]
    outside = [
        hit
        for hit in _inline_enums(spec)
        if not re.fullmatch(r"/components/schemas/[A-Za-z]+", hit)
    ]
    assert outside == [], f"inline enums (name them in app/openapi.py ENUMS): {outside}"
    enums = [tuple(sorted(s["enum"])) for s in schemas.values() if "enum" in s]
    assert len(enums) == len(set(enums)), "two schemas for the same enum"
    match_out = schemas["MatchOut"]["properties"]
    assert match_out["status"] == {"$ref": "#/components/schemas/MatchStatus"}
