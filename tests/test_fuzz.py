"""Fuzzing from the app's own OpenAPI document (schemathesis), as a participant and as a
coordinator: no 5xx, and every response conforms to the documented status codes, content
types and schemas. A failure here is fixed in the app, not by loosening the document."""

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.main import create_app
from tests.conftest import API, PASSWORD, database_snapshot, mutual_match

pytestmark = pytest.mark.fuzz

# The live event stream (GET /events) answers a valid request with a stream that does not
# end: a fuzzer reading whole bodies would wait forever. Its inputs (ticket, Last-Event-ID,
# credentials) are tested in tests/api/test_events.py, its behaviour in
# tests/test_live_events.py.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app()).exclude(
    path="/api/v1/events", method="GET"
)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture
def participant_headers(make_participant) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_participant("professional")  # someone to see in the feed
    return make_participant("teacher").headers


@pytest.fixture
def coordinator_headers(make_staff, make_participant) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_participant("teacher")
    make_participant("professional")
    return make_staff("coordinator", ["rotterdam"]).headers


@schema.parametrize()
@FUZZ
def test_fuzz_as_participant(case, participant_headers) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=participant_headers, checks=CHECKS)


@schema.include(path_regex="^/api/v1/(coordinator|admin)").parametrize()
@FUZZ
def test_fuzz_as_coordinator(case, coordinator_headers) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=coordinator_headers, checks=CHECKS)


# --- hostile values in every place the OpenAPI document declares ------------------------------
#
# Walks every operation of the document and injects, one at a time: a NUL character into every
# string (query parameter, JSON body field at any depth, list item, form field), an extreme
# date into every date and date-time, and forged positions into every cursor. Each must
# answer 422 problem+json naming that place in `errors[].loc`, and write nothing. The other
# fields come from the document's own examples, so the hostile value is what gets judged.

DOCUMENT: dict[str, Any] = create_app().openapi()
COMPONENTS: dict[str, Any] = DOCUMENT["components"]["schemas"]
NUL_TEXT = "ok\x00ok"
EXTREME = {
    "date": ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"],
    "date-time": [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59Z",
    ],
}
FORGED_CURSORS: list[Any] = [
    [True],
    [2**40],
    [-1],
    ["2027-01-18", True],
    ["2027-01-18", 2**40],
    ["0001-01-01", 1],
    [0.5, True],
    [1e308, 2**40],
    {"id": 1},
    "x",
]


# Query parameters that take an opaque cursor (a position from an earlier page).
CURSOR_PARAMETERS = {"cursor", "before", "after"}


@dataclass(frozen=True)
class Injection:
    where: str  # "query", "json" or "form"
    loc: tuple[str | int, ...]  # where the value goes, as in errors[].loc
    value: Any


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null schemas a value may take (anyOf / oneOf flattened, refs resolved)."""
    schema = _resolve(schema)
    if "anyOf" in schema or "oneOf" in schema:
        out: list[dict[str, Any]] = []
        for option in schema.get("anyOf", []) + schema.get("oneOf", []):
            out += _alternatives(option)
        return out
    return [] if schema.get("type") == "null" else [schema]


def _hostile_values(schema: dict[str, Any]) -> list[Any]:
    values: list[Any] = []
    for option in _alternatives(schema):
        if option.get("type") == "string":
            values.append(NUL_TEXT)
            values += EXTREME.get(option.get("format", ""), [])
    return values


def _body_injections(schema: dict[str, Any], prefix: tuple[str | int, ...]) -> list[Injection]:
    out: list[Injection] = []
    for option in _alternatives(schema):
        for name, prop in option.get("properties", {}).items():
            loc = (*prefix, name)
            out += [Injection("json", loc, value) for value in _hostile_values(prop)]
            for alt in _alternatives(prop):
                if alt.get("type") == "array" and _hostile_values(alt.get("items", {})):
                    out.append(Injection("json", (*loc, 0), NUL_TEXT))
                if alt.get("type") == "object":
                    out += _body_injections(alt, loc)
    return list(dict.fromkeys(out))


def _example(schema: dict[str, Any], media: dict[str, Any]) -> dict[str, Any]:
    if isinstance(media.get("example"), dict):
        return dict(media["example"])
    for option in _alternatives(schema):
        if isinstance(option.get("example"), dict):
            return dict(option["example"])
    return {}


def _injections(operation: dict[str, Any]) -> tuple[dict[str, Any], str, list[Injection]]:
    """(the base body, its kind, every hostile value to try) for one operation."""
    found: list[Injection] = []
    for param in operation.get("parameters", []):
        if param["in"] != "query":
            continue
        name = param["name"]
        found.append(Injection("query", ("query", name), NUL_TEXT))
        for option in _alternatives(param["schema"]):
            for value in EXTREME.get(option.get("format", ""), []):
                found.append(Injection("query", ("query", name), value))
        if name in CURSOR_PARAMETERS:
            found += [Injection("query", ("query", name), _cursor(p)) for p in FORGED_CURSORS]
    base: dict[str, Any] = {}
    kind = "json"
    for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
        schema = media["schema"]
        if media_type == "application/x-www-form-urlencoded":
            kind = "form"
            for name in _resolve(schema)["properties"]:
                found.append(Injection("form", ("body", name), NUL_TEXT))
        else:
            base = _example(schema, media)
            found += _body_injections(schema, ("body",))
    return base, kind, list(dict.fromkeys(found))


def _cursor(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


OPERATIONS = [
    (method.upper(), path, *_injections(operation))
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
HOSTILE = [op for op in OPERATIONS if op[4]]


def test_the_walk_reaches_every_place_the_issue_names() -> None:
    places = {(method, path, inj.loc) for method, path, _, _, injs in HOSTILE for inj in injs}
    expected = {
        ("POST", "/api/v1/auth/register", ("body", "name")),
        ("POST", "/api/v1/auth/token", ("body", "username")),
        ("PUT", "/api/v1/me/profile", ("body", "headline")),
        ("PATCH", "/api/v1/me/profile", ("body", "bio")),
        ("PATCH", "/api/v1/me/profile", ("body", "contact", "phone")),
        ("PUT", "/api/v1/me/profile", ("body", "subjects", 0)),
        ("POST", "/api/v1/matches/{match_id}/meetings", ("body", "note")),
        ("POST", "/api/v1/matches/{match_id}/meetings", ("body", "date")),
        ("POST", "/api/v1/matches/{match_id}/exit", ("body", "note")),
        ("PUT", "/api/v1/matches/{match_id}/plan", ("body", "start_date")),
        ("GET", "/api/v1/coordinator/stats", ("query", "from")),
        ("GET", "/api/v1/matches/{match_id}/meetings", ("query", "cursor")),
        ("GET", "/api/v1/feed", ("query", "cursor")),
        ("GET", "/api/v1/coordinator/participants", ("query", "region")),
        ("GET", "/api/v1/matches/{match_id}/messages", ("query", "before")),
        ("GET", "/api/v1/matches/{match_id}/messages", ("query", "after")),
        ("POST", "/api/v1/matches/{match_id}/messages", ("body", "body")),
        ("POST", "/api/v1/matches/{match_id}/messages", ("body", "client_id")),
        ("POST", "/api/v1/reports", ("body", "note")),
        ("GET", "/api/v1/coordinator/reports", ("query", "cursor")),
        ("POST", "/api/v1/coordinator/reports/{report_id}/resolve", ("body", "note")),
    }
    assert expected <= places, expected - places


@pytest.fixture
def world(client, make_participant, make_staff) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)
    notifications = client.get(f"{API}/notifications", headers=teacher.headers).json()["items"]
    return {
        "teacher": teacher,
        "coordinator": make_staff("coordinator", ["rotterdam"]),
        "admin": make_staff("admin"),
        "ids": {
            "match_id": match["id"],
            "user_id": pro.id,
            "target_id": pro.id,
            "notification_id": notifications[0]["id"],
            "report_id": 1,
            "name": "0" * 32 + "-card.webp",  # a photo image (GET /media/{name})
        },
    }


@pytest.mark.parametrize(
    ("method", "path", "base", "kind", "injections"),
    HOSTILE,
    ids=[f"{op[0]} {op[1]}" for op in HOSTILE],
)
def test_hostile_values_anywhere_are_422_and_write_nothing(  # type: ignore[no-untyped-def]
    client, db, world, method, path, base, kind, injections
) -> None:
    role = "admin" if "/admin/" in path else "coordinator" if "/coordinator/" in path else "teacher"
    headers = world[role].headers
    url = path.format(**world["ids"])
    before = database_snapshot(db)
    for injection in injections:
        request: dict[str, Any] = {"headers": headers}
        if injection.where == "query":
            request["params"] = {injection.loc[1]: injection.value}
        elif injection.where == "form":
            request["data"] = {"username": world["teacher"].email, "password": PASSWORD} | {
                str(injection.loc[1]): injection.value
            }
        if injection.where == "json" or (kind == "json" and base):
            body = json.loads(json.dumps(base))
            if injection.where == "json":
                _put(body, injection.loc[1:], injection.value)
            request["json"] = body
        response = client.request(method, url, **request)
        seen = f"{injection}: {response.status_code} {response.text}"
        assert response.status_code == 422, seen
        assert response.headers["content-type"].startswith("application/problem+json"), seen
        assert list(injection.loc) in [e["loc"] for e in response.json()["errors"]], seen
        assert database_snapshot(db) == before, seen


def _put(body: dict[str, Any], loc: tuple[str | int, ...], value: Any) -> None:
    """Set body[loc...] = value, creating the objects and one-item lists on the way."""
    target: Any = body
    for step, following in zip(loc, loc[1:], strict=False):
        if isinstance(following, int):
            target[step] = [None]
        elif not isinstance(target.get(step), dict):
            target[step] = {}
        target = target[step]
    target[loc[-1]] = value
