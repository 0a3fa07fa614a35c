"""Error bodies (problem+json, no internals), list parameters, and the operations probes."""

import base64
import json
from typing import Any

import pytest

from tests.conftest import API, PASSWORD, mutual_match

PROBLEM = "application/problem+json"
LEAKS = ("Traceback", "sqlalchemy", "SELECT", "psycopg", "sqlite3", 'File "', "app/", "Error:")
MAX_INT = 2**31 - 1


def assert_problem(response, status: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == status
    assert all(isinstance(body[k], str) and body[k] for k in ("type", "title", "detail"))
    assert_no_leak(response)
    return body


def assert_no_leak(response) -> None:  # type: ignore[no-untyped-def]
    for word in LEAKS:
        assert word.lower() not in response.text.lower(), (word, response.text)


def cursor_of(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", [f"{API}/nope", "/nope", f"{API}/profiles/1/nope", "/api/v2/me"])
def test_unknown_route_is_a_404_problem(client, path):
    body = assert_problem(client.get(path), 404)
    assert body["title"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", f"{API}/vocabulary"),
        ("get", f"{API}/auth/register"),
        ("put", f"{API}/auth/token"),
        ("post", "/healthz"),
    ],
)
def test_wrong_method_is_a_405_problem(client, method, path):
    response = getattr(client, method)(path)
    assert_problem(response, 405)
    assert response.headers.get("allow")


@pytest.mark.parametrize("raw", [b"{bad", b'{"email": "a@example.org",}', b"", b"[1, 2"])
def test_malformed_json_is_a_422_problem(client, db, raw):
    response = client.post(
        f"{API}/auth/register", content=raw, headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422)
    assert body["errors"] and all({"loc", "msg", "type"} <= e.keys() for e in body["errors"])


def test_malformed_json_on_an_authenticated_route(client, make_participant):
    person = make_participant("teacher")
    response = client.patch(
        f"{API}/me/profile",
        content=b'{"headline": ',
        headers=person.headers | {"content-type": "application/json"},
    )
    assert_problem(response, 422)


@pytest.fixture
def teacher(make_participant):  # type: ignore[no-untyped-def]
    return make_participant("teacher")


LISTS = [f"{API}/feed", f"{API}/matches", f"{API}/notifications"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", ["0", "101", "-1", "1000", "abc", "1.5"])
def test_limit_outside_1_to_100_is_422(client, teacher, path, limit):
    body = assert_problem(client.get(path, params={"limit": limit}, headers=teacher.headers), 422)
    assert any(e["loc"] == ["query", "limit"] for e in body["errors"]), body


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("limit", ["1", "100"])
def test_limit_bounds_are_accepted(client, teacher, path, limit):
    response = client.get(path, params={"limit": limit}, headers=teacher.headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) >= {"items", "next_cursor"}


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        "e30",
        cursor_of([]),
        cursor_of(["a", "b"]),
        cursor_of([1, 2, 3]),
        "x" * 201,
    ],
)
def test_garbage_cursor_is_422(client, teacher, path, cursor):
    body = assert_problem(client.get(path, params={"cursor": cursor}, headers=teacher.headers), 422)
    assert any(e["loc"][:2] == ["query", "cursor"] for e in body["errors"]), body


def test_a_real_cursor_pages_through_notifications(client, make_participant):
    """The control for the cursor tests: next_cursor from the API does work."""
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)
    client.post(f"{API}/matches/{match['id']}/exit", json={}, headers=pro.headers)
    url = f"{API}/notifications"
    first = client.get(url, params={"limit": 1}, headers=teacher.headers).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = client.get(
        url, params={"limit": 1, "cursor": first["next_cursor"]}, headers=teacher.headers
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert {first["items"][0]["type"], second["items"][0]["type"]} == {
        "match_created",
        "match_ended",
    }


def test_out_of_range_profile_id_is_404_not_500(client, teacher):
    for user_id in (MAX_INT + 1, 10**20):
        assert_problem(client.get(f"{API}/profiles/{user_id}", headers=teacher.headers), 404)


def test_out_of_range_match_id_is_404_not_500(client, teacher):
    for match_id in (MAX_INT + 1, 10**20):
        assert_problem(client.get(f"{API}/matches/{match_id}", headers=teacher.headers), 404)


@pytest.mark.parametrize("path", [f"{API}/matches", f"{API}/notifications"])
def test_out_of_range_cursor_is_422_not_500(client, teacher, path):
    cursor = cursor_of([10**20])
    assert_problem(client.get(path, params={"cursor": cursor}, headers=teacher.headers), 422)


def test_no_error_body_leaks_internals(client, make_participant):
    """A sweep of bad requests: every answer is a clean problem, never a trace or SQL."""
    person = make_participant("teacher")
    auth = person.headers
    requests = [
        ("get", f"{API}/me", {}),
        ("get", f"{API}/me", {"headers": {"Authorization": "Bearer ' OR 1=1 --"}}),
        ("get", f"{API}/profiles/1%20OR%201=1", {"headers": auth}),
        ("get", f"{API}/profiles/{10**20}", {"headers": auth}),
        ("get", f"{API}/matches/{10**20}", {"headers": auth}),
        ("get", f"{API}/matches", {"headers": auth, "params": {"cursor": cursor_of([10**20])}}),
        ("get", f"{API}/feed", {"headers": auth, "params": {"cursor": "' OR 1=1 --"}}),
        ("post", f"{API}/swipes", {"headers": auth, "json": {"target_id": 10**20}}),
        ("post", f"{API}/swipes", {"headers": auth, "json": {"target_id": 999, "decision": "x"}}),
        ("post", f"{API}/blocks", {"headers": auth, "json": {"user_id": "drop table users"}}),
        ("post", f"{API}/auth/token", {"data": {"username": "'; --", "password": "x"}}),
        ("post", f"{API}/auth/refresh", {"json": {"refresh_token": "' OR '1'='1"}}),
        (
            "post",
            f"{API}/auth/register",
            {"json": {"email": person.email, "password": PASSWORD, "name": "X", "side": "teacher"}},
        ),
        ("put", f"{API}/me/profile", {"headers": auth, "json": {"place": "'; DROP TABLE x"}}),
        ("put", f"{API}/me/profile", {"headers": auth, "json": {"headline": "\x00" * 200}}),
        ("patch", f"{API}/me/profile", {"headers": auth, "json": {"weights": "heavy"}}),
    ]
    for method, path, kwargs in requests:
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code >= 400, (path, response.status_code)
        assert response.headers["content-type"].startswith(PROBLEM), (path, response.text)
        assert_no_leak(response)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_with_a_reachable_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_openapi_document_is_served(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert f"{API}/auth/register" in response.json()["paths"]


def test_api_answers_are_not_cached(client, teacher):
    # GET /me may be kept by my own client only, revalidated each time (ETag); never shared
    me = client.get(f"{API}/me", headers=teacher.headers)
    assert me.headers["cache-control"] == "private, no-cache"
    assert client.get(f"{API}/me").headers["cache-control"] == "no-store"  # the 401 too
    feed = client.get(f"{API}/feed", headers=teacher.headers)
    assert feed.headers["cache-control"] == "no-store"
