"""Security properties that hold for every route (OWASP API Top 10: API1/2/3/4/5)."""

import re

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import create_app
from tests.conftest import API, mutual_match

PUBLIC = {
    ("POST", f"{API}/auth/register"),
    ("POST", f"{API}/auth/token"),
    ("POST", f"{API}/auth/refresh"),
    # The links from mails: the token in the body is the credential (tests/api/test_mail_flows.py).
    ("POST", f"{API}/auth/verify-email"),
    ("POST", f"{API}/auth/password-reset"),
    ("POST", f"{API}/auth/password-reset/confirm"),
    ("GET", f"{API}/vocabulary"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    # One-click unsubscribe (RFC 8058) works without login: the link's token is the
    # credential (tests/mail/test_notification_mails.py: once, and not twice).
    ("GET", f"{API}/mail/unsubscribe"),
    ("POST", f"{API}/mail/unsubscribe"),
    # The VAPID public key is public by nature (browsers need it before anyone logs in).
    ("GET", f"{API}/push/public-key"),
    # Photo images: no token, a signed expiring URL instead (tests/api/test_photos.py).
    ("GET", "/media/{name}"),
}


def _api_routes() -> list[tuple[str, str]]:
    """Every operation of the app (from its OpenAPI document, which lists every route)."""
    paths = create_app().openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


ROUTES = _api_routes()
PRIVATE = [r for r in ROUTES if r not in PUBLIC]
COORDINATOR = [r for r in ROUTES if r[1].startswith((f"{API}/coordinator", f"{API}/admin"))]


def test_the_walk_covers_the_routes_that_matter() -> None:
    paths = {path for _, path in ROUTES}
    assert f"{API}/feed" in paths and f"{API}/swipes" in paths
    assert f"{API}/coordinator/matches" in paths
    assert len(PRIVATE) > 20


@pytest.mark.parametrize(("method", "path"), PRIVATE)
def test_every_private_route_requires_a_token(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, _concrete(path), json={})
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("method", "path"), PRIVATE)
def test_a_garbage_token_is_refused_everywhere(client: TestClient, method: str, path: str) -> None:
    response = client.request(
        method, _concrete(path), json={}, headers={"Authorization": "Bearer not.a.jwt"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path"), COORDINATOR)
def test_participants_get_403_on_every_coordinator_route(
    client: TestClient, make_participant, method: str, path: str
) -> None:
    teacher = make_participant("teacher")
    response = client.request(method, _concrete(path), json={}, headers=teacher.headers)
    assert response.status_code == 403, response.text


def test_password_hashes_and_private_fields_never_leave_the_server(
    client: TestClient, make_participant, make_staff
) -> None:
    teacher = make_participant("teacher", confidentiality="NDA: geen bezoek aan R&D")
    pro = make_participant("professional")
    coordinator = make_staff("coordinator", ["rotterdam"])
    match = mutual_match(client, teacher, pro)
    client.post(
        f"{API}/matches/{match['id']}/exit",
        json={"reason": "no_time", "note": "geheim"},
        headers=pro.headers,
    )
    bodies = [
        client.get(f"{API}/me", headers=pro.headers).text,
        client.get(f"{API}/profiles/{teacher.id}", headers=pro.headers).text,
        client.get(f"{API}/matches", headers=teacher.headers).text,
        client.get(f"{API}/notifications", headers=teacher.headers).text,
        client.get(f"{API}/me/export", headers=teacher.headers).text,
        client.get(f"{API}/coordinator/participants", headers=coordinator.headers).text,
    ]
    for body in bodies:
        assert "argon2" not in body and "password" not in body
    partner_views = bodies[1:4]
    for body in partner_views:
        assert "NDA" not in body  # confidentiality is private to its owner
        assert "geheim" not in body and "no_time" not in body  # exit note and reason
        assert '"lat"' not in body and '"lon"' not in body  # exact coordinates


def test_request_bodies_over_the_limit_are_refused_with_413(client: TestClient) -> None:
    response = client.post(
        f"{API}/auth/register",
        content=b"{" + b" " * (get_settings().max_body_bytes + 10) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def test_daily_like_limit_answers_429(client: TestClient, make_participant, monkeypatch) -> None:
    monkeypatch.setenv("LIKES_PER_DAY", "2")
    get_settings.cache_clear()
    teacher = make_participant("teacher")
    pros = [make_participant("professional") for _ in range(3)]
    codes = [
        client.post(
            f"{API}/swipes", json={"target_id": p.id, "decision": "like"}, headers=teacher.headers
        ).status_code
        for p in pros
    ]
    assert codes == [201, 201, 429]
    refused = client.post(
        f"{API}/swipes", json={"target_id": pros[2].id, "decision": "like"}, headers=teacher.headers
    )
    assert int(refused.headers["Retry-After"]) > 0
    # passes are not limited, and the refused like was not stored
    passed = client.post(
        f"{API}/swipes", json={"target_id": pros[2].id, "decision": "pass"}, headers=teacher.headers
    )
    assert passed.status_code == 201


def test_cors_is_closed_by_default(client: TestClient) -> None:
    response = client.options(
        f"{API}/me",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_configured_origins(monkeypatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", '["https://app.jobtwinning.nl"]')
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        response = client.options(
            f"{API}/me",
            headers={
                "Origin": "https://app.jobtwinning.nl",
                "Access-Control-Request-Method": "GET",
            },
        )
    assert response.headers["access-control-allow-origin"] == "https://app.jobtwinning.nl"


def test_docs_can_be_switched_off(monkeypatch) -> None:
    monkeypatch.setenv("DOCS_ENABLED", "false")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404


def test_personal_data_is_not_cached(client: TestClient, make_participant) -> None:
    teacher = make_participant("teacher")
    response = client.get(f"{API}/me", headers=teacher.headers)
    # only the caller's own client may keep it, and must revalidate (ETag): no shared cache
    assert response.headers["Cache-Control"] == "private, no-cache"
    matches = client.get(f"{API}/matches", headers=teacher.headers)
    assert matches.headers["Cache-Control"] == "no-store"
