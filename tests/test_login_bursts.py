"""Login limits and password hashing under bursts, against real multi-worker servers.

- A burst of wrong guesses at one account verifies at most LOGIN_FAILURES_PER_ACCOUNT
  passwords per window, in every process together, with counters in the database or Redis.
- A burst of logins (production Argon2, a tiny connection pool) never makes the API answer
  503: not to the logins, not to unrelated requests.
- A client-written X-Forwarded-For does not change the address the per-address limit counts.
"""

import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from app.db import get_engine
from app.models import RateLimitCounter
from tests.conftest import API, COMPLETE_PROFILE, PASSWORD
from tests.live import all_at_once, live_server

pytestmark = pytest.mark.concurrency

REDIS_URL = "redis://127.0.0.1:6379/0"
WRONG = "wrong-password!"
ROOT = Path(__file__).resolve().parent.parent


def _register(http: httpx.Client, email: str) -> None:
    response = http.post(
        f"{API}/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Burst", "side": "teacher"},
    )
    assert response.status_code == 201, response.text


def _register_call(base: str, email: str) -> Any:
    def call() -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as http:
            return http.post(
                f"{API}/auth/register",
                json={"email": email, "password": PASSWORD, "name": "Nieuw", "side": "teacher"},
            )

    return call


def _login_call(base: str, email: str, password: str, **headers: str) -> Any:
    def call() -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as http:
            return http.post(
                f"{API}/auth/token",
                data={"username": email, "password": password},
                headers=headers,
            )

    return call


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis; its keys are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.fail("these tests need Redis at 127.0.0.1:6379")
    prefix = f"jobtinder-test-{uuid.uuid4().hex}:"
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.mark.parametrize("store", ["database", "redis"])
def test_a_burst_of_wrong_guesses_verifies_at_most_the_limit(
    store: str, request: pytest.FixtureRequest
) -> None:
    window = 300
    env = {
        "LOGIN_FAILURES_PER_ACCOUNT": "10",
        "LOGIN_WINDOW_SECONDS": str(window),
        # Real Argon2: a verification takes long enough for the burst to overlap it.
        "PASSWORD_HASH_PROFILE": "production",
        # Every reserved guess gets verified, however busy the machine (no 429 for a turn).
        "PASSWORD_HASH_WAIT_SECONDS": "120",
    }
    if store == "redis":
        env |= {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": request.getfixturevalue("redis_prefix")}
    email = f"burst-{uuid.uuid4().hex[:12]}@example.org"
    with live_server(env, workers=3) as base:
        with httpx.Client(base_url=base, timeout=30) as http:
            _register(http, email)
            # The right password never uses up the budget of failures.
            oks = [_login_call(base, email, PASSWORD)().status_code for _ in range(11)]
            assert oks == [200] * 11
        # Not at the end of a (fixed) window, so that the burst falls into one window.
        while time.time() % window > window - 60:
            time.sleep(0.5)
        burst = all_at_once([_login_call(base, email, WRONG) for _ in range(40)])
        codes = [r.status_code for r in burst]
        assert set(codes) <= {401, 429}, [r.text for r in burst]
        assert codes.count(401) == 10, codes  # exactly the limit was verified
        for refused in (r for r in burst if r.status_code == 429):
            assert int(refused.headers["Retry-After"]) >= 1
            assert refused.headers["content-type"].startswith("application/problem+json")
        right = _login_call(base, email, PASSWORD)()
        assert right.status_code == 429  # the right password waits for the window, too
        assert 1 <= int(right.headers["Retry-After"]) <= window


def test_a_burst_of_logins_never_makes_the_api_answer_503() -> None:
    env = {
        "PASSWORD_HASH_PROFILE": "production",  # the real cost of Argon2
        "DB_POOL_SIZE": "1",
        "LOGIN_FAILURES_PER_ACCOUNT": "1000",
    }
    tag = uuid.uuid4().hex[:8]
    with live_server(env, workers=2) as base:
        with httpx.Client(base_url=base, timeout=60) as http:
            users = [f"busy-{tag}-{n}@example.org" for n in range(3)]
            for email in users:
                _register(http, email)
            token = _login_call(base, users[0], PASSWORD)().json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            # A profile to change during the burst (the unrelated writes below update it).
            put = http.put(f"{API}/me/profile", json=COMPLETE_PROFILE["teacher"], headers=auth)
            assert put.status_code == 200, put.text

        def unrelated(n: int) -> Any:
            def call() -> list[httpx.Response]:
                time.sleep(0.3 * n)  # spread over the burst
                with httpx.Client(base_url=base, timeout=60) as http:
                    return [
                        http.get(f"{API}/me", headers=auth),
                        http.get(f"{API}/vocabulary"),
                        http.patch(
                            f"{API}/me/profile", json={"headline": f"Docent {n}"}, headers=auth
                        ),
                    ]

            return call

        logins = [_login_call(base, users[n % 3], PASSWORD) for n in range(24)]
        logins += [_login_call(base, f"nobody-{tag}-{n}@example.org", WRONG) for n in range(24)]
        registrations = [_register_call(base, f"new-{tag}-{n}@example.org") for n in range(8)]
        # 48 logins, 8 registrations and 16 callers of other endpoints, started together.
        results = all_at_once([*logins, *registrations, *(unrelated(n) for n in range(16))])
    login_codes = [r.status_code for r in results[: len(logins)]]
    assert set(login_codes) <= {200, 401, 429}, login_codes
    assert 200 in login_codes and 401 in login_codes
    registered = results[len(logins) : len(logins) + len(registrations)]
    assert {r.status_code for r in registered} <= {201, 429}, [r.status_code for r in registered]
    others = [r for batch in results[len(logins) + len(registrations) :] for r in batch]
    assert [r.status_code for r in others if r.status_code != 200] == [], [
        (r.request.url.path, r.status_code) for r in others if r.status_code != 200
    ]


def _shipped_forwarded_allow_ips() -> str:
    compose = (ROOT / "deploy" / "compose.replicas.yaml").read_text()
    found = re.search(r'^\s*FORWARDED_ALLOW_IPS:\s*"([^"]*)"', compose, re.MULTILINE)
    assert found, "deploy/compose.replicas.yaml must set FORWARDED_ALLOW_IPS"
    return found.group(1)


def _serve_command() -> list[str]:
    """The shipped way to run the API (`jobtinder serve`), on one worker."""
    return [sys.executable, "-m", "app.cli", "serve", "--port", "{port}", "--workers", "1"]


def test_a_client_written_forwarded_for_does_not_change_the_counted_address() -> None:
    env = {
        "FORWARDED_ALLOW_IPS": _shipped_forwarded_allow_ips(),
        "LOGIN_ATTEMPTS_PER_ADDRESS": "3",
    }
    with live_server(env, command=_serve_command()) as base:
        codes = [
            _login_call(
                base, f"spoof{n}@example.org", WRONG, **{"X-Forwarded-For": f"203.0.113.{n}"}
            )().status_code
            for n in range(4)
        ]
    assert codes == [401, 401, 401, 429]  # one address, whatever the header claims
    with Session(get_engine()) as session:
        keys = {row.key for row in session.exec(select(RateLimitCounter))}
    assert "login-address:127.0.0.1" in keys
    assert not any("203.0.113" in key for key in keys)


def test_behind_a_trusted_proxy_the_address_it_saw_is_counted() -> None:
    """We play the proxy (127.0.0.1, trusted); what a client wrote before it is ignored."""
    env = {"FORWARDED_ALLOW_IPS": "127.0.0.1", "LOGIN_ATTEMPTS_PER_ADDRESS": "3"}
    with live_server(env, command=_serve_command()) as base:
        codes = [
            _login_call(
                base,
                f"proxied{n}@example.org",
                WRONG,
                **{"X-Forwarded-For": f"203.0.113.{n}, 198.51.100.7"},
            )().status_code
            for n in range(4)
        ]
        other_client = _login_call(
            base, "proxied@example.org", WRONG, **{"X-Forwarded-For": "198.51.100.8"}
        )().status_code
    assert codes == [401, 401, 401, 429]
    assert other_client == 401  # another client behind the same proxy has its own budget
    with Session(get_engine()) as session:
        keys = {row.key for row in session.exec(select(RateLimitCounter))}
    assert {"login-address:198.51.100.7", "login-address:198.51.100.8"} <= keys
    assert not any("203.0.113" in key for key in keys)
