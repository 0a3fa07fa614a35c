"""Brute-force limits on login and registration (429 with Retry-After), shared by processes."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import get_settings
from app.db import get_engine
from app.models import RateLimitCounter, User
from tests.conftest import API, PASSWORD


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGIN_FAILURES_PER_ACCOUNT", "3")
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_ADDRESS", "6")
    monkeypatch.setenv("REGISTRATIONS_PER_ADDRESS", "2")
    get_settings.cache_clear()


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post(
        f"{API}/auth/token", data={"username": email, "password": password}
    ).status_code


def test_failed_logins_lock_the_account_for_a_while(
    client: TestClient, make_participant, small_limits
) -> None:
    teacher = make_participant("teacher", profile=False)
    assert [_login(client, teacher.email, "wrong-password!") for _ in range(3)] == [401] * 3
    refused = client.post(
        f"{API}/auth/token", data={"username": teacher.email, "password": PASSWORD}
    )
    assert refused.status_code == 429  # even the right password waits now
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["content-type"].startswith("application/problem+json")
    # the counter is in the database, where every API process reads it
    with Session(get_engine()) as session:
        keys = [row.key for row in session.exec(select(RateLimitCounter))]
    assert f"login-account:{teacher.email}" in keys


def test_unknown_accounts_are_limited_the_same_way(client: TestClient, small_limits) -> None:
    codes = [_login(client, "nobody@example.org", "wrong-password!") for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_one_address_cannot_try_many_accounts(client: TestClient, small_limits) -> None:
    codes = [_login(client, f"user{n}@example.org", "wrong-password!") for n in range(7)]
    assert codes == [401] * 6 + [429]


def test_registrations_per_address_are_limited(client: TestClient, small_limits) -> None:
    codes = [
        client.post(
            f"{API}/auth/register",
            json={
                "email": f"new{n}@example.org",
                "password": PASSWORD,
                "name": "N",
                "side": "teacher",
            },
        ).status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]
    with Session(get_engine()) as session:
        emails = session.exec(select(User.email)).all()
    assert "new2@example.org" not in emails  # the refused registration wrote no account


def _redis_or_skip() -> str:
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    return url


def test_counters_can_live_in_redis(
    client: TestClient, make_participant, small_limits, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    from app import ratelimit

    url = _redis_or_skip()
    store = redis.Redis.from_url(url)
    prefix = f"jobtinder-test-{uuid.uuid4().hex}:"  # this test's keys only (Redis is shared)
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
    get_settings.cache_clear()
    ratelimit._redis.cache_clear()
    try:
        teacher = make_participant("teacher", profile=False)
        codes = [_login(client, teacher.email, "wrong-password!") for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        assert any(b"login-account" in key for key in store.scan_iter(f"{prefix}rl:*"))
        with Session(get_engine()) as session:  # nothing went to the database this time
            assert session.exec(select(RateLimitCounter)).all() == []
    finally:
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)
        ratelimit._redis.cache_clear()
