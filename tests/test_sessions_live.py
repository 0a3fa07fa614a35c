"""Sessions across processes: revocation reaches every worker's access-token check within the
stated bound, and a refresh token presented by racing requests on different workers gives
them all the same new pair. Real HTTP against a server with several worker processes."""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.db import get_engine
from app.models import LoginSession, RefreshToken
from tests.conftest import API, PASSWORD
from tests.live import register_participant, serve

pytestmark = pytest.mark.concurrency
WORKERS = 3
# The bound we state: a revocation reaches every process within REVOCATION_REFRESH_SECONDS
# (default 2) plus the time of one refresh; the test allows half a second for that.
REVOCATION_BOUND = 2.5
GRACE = 3  # REFRESH_GRACE_SECONDS for these servers (default 30), to keep the test short


def _spread(base: str, count: int, call: Callable[[httpx.Client], httpx.Response]) -> list[int]:
    """`count` requests, each on a new connection (so the workers share them out)."""
    codes = []
    for _ in range(count):
        with httpx.Client(base_url=base, timeout=30) as http:
            codes.append(call(http).status_code)
    return codes


def _me(headers: dict[str, str]) -> Callable[[httpx.Client], httpx.Response]:
    return lambda http: http.get(f"{API}/me", headers=headers)


def _all_at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    barrier = Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _login(http: httpx.Client, email: str) -> dict[str, Any]:
    response = http.post(f"{API}/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


def _wait_until_refused(base: str, headers: dict[str, str], since: float) -> None:
    """Every request with these headers, on whichever worker, is 401 within the bound."""
    time.sleep(max(0.0, since + REVOCATION_BOUND - time.monotonic()))
    codes = _spread(base, 4 * WORKERS, _me(headers))
    assert codes == [401] * len(codes), codes


def test_logout_and_session_deletion_reach_every_worker_within_the_bound() -> None:
    with serve(WORKERS) as base, httpx.Client(base_url=base, timeout=30) as http:
        person = register_participant(http, "teacher", "live-logout")
        email = "live-logout-teacher@example.org"
        phone, laptop = _login(http, email), _login(http, email)
        for pair in (phone, laptop):  # every worker has seen and accepted both
            assert _spread(base, 4 * WORKERS, _me(_bearer(pair))) == [200] * (4 * WORKERS)

        assert http.post(f"{API}/auth/logout", headers=_bearer(phone)).status_code == 204
        _wait_until_refused(base, _bearer(phone), since=time.monotonic())

        sessions = http.get(f"{API}/me/sessions", headers=person["headers"]).json()["items"]
        laptop_id = next(s["id"] for s in sessions if not s["current"] and s["id"])
        # (the fixture's own login is current; phone is gone; laptop is the other one)
        assert len(sessions) == 2
        deleted = http.delete(f"{API}/me/sessions/{laptop_id}", headers=person["headers"])
        assert deleted.status_code == 204
        _wait_until_refused(base, _bearer(laptop), since=time.monotonic())
        # The session that did the deleting still works everywhere.
        codes = _spread(base, 4 * WORKERS, _me(person["headers"]))
        assert codes == [200] * len(codes)


def test_racing_refreshes_on_several_workers_get_the_same_pair() -> None:
    with serve(WORKERS, REFRESH_GRACE_SECONDS=str(GRACE)) as base:
        with httpx.Client(base_url=base, timeout=30) as http:
            register_participant(http, "teacher", "live-refresh")
            pair = _login(http, "live-refresh-teacher@example.org")

        def refresh() -> httpx.Response:
            with httpx.Client(base_url=base, timeout=30) as http:
                return http.post(
                    f"{API}/auth/refresh", json={"refresh_token": pair["refresh_token"]}
                )

        responses = _all_at_once([refresh for _ in range(6)])
        assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
        successors = {r.json()["refresh_token"] for r in responses}
        assert len(successors) == 1
        for response in responses:  # every access token handed out works on every worker
            codes = _spread(base, WORKERS, _me(_bearer(response.json())))
            assert codes == [200] * WORKERS
        with Session(get_engine()) as db:
            stored = db.scalars(select(RefreshToken)).all()
            assert len(stored) == 3  # the registration's login, the used token, its successor
            assert db.scalars(select(LoginSession.revoked_at)).all() == [None, None]
        # The successor works, once: the login goes on.
        with httpx.Client(base_url=base, timeout=30) as http:
            onward = http.post(f"{API}/auth/refresh", json={"refresh_token": successors.pop()})
            assert onward.status_code == 200, onward.text
            assert http.get(f"{API}/me", headers=_bearer(onward.json())).status_code == 200


def test_reuse_after_the_window_revokes_the_login_on_every_worker() -> None:
    with serve(WORKERS, REFRESH_GRACE_SECONDS=str(GRACE)) as base:
        with httpx.Client(base_url=base, timeout=30) as http:
            register_participant(http, "teacher", "live-reuse")
            first = _login(http, "live-reuse-teacher@example.org")
            used_at = time.monotonic()
            second = http.post(
                f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]}
            )
            assert second.status_code == 200
            for pair in (first, second.json()):
                assert _spread(base, 2 * WORKERS, _me(_bearer(pair))) == [200] * (2 * WORKERS)
            time.sleep(max(0.0, used_at + GRACE + 0.5 - time.monotonic()))
            replay = http.post(
                f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]}
            )
            assert replay.status_code == 401
            revoked_at = time.monotonic()
            onward = http.post(
                f"{API}/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}
            )
            assert onward.status_code == 401
        _wait_until_refused(base, _bearer(first), since=revoked_at)
        _wait_until_refused(base, _bearer(second.json()), since=revoked_at)
