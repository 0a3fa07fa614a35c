"""`jobtinder purge`: the retention period removes old personal data, and only that."""

import threading
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlmodel import col

from app import clock
from app.cli import main as cli
from app.db import get_engine
from app.models import DailyLikes, User
from tests.conftest import API, PASSWORD, login, mutual_match


def test_purge_erases_inactive_accounts_and_strips_old_trajectories(
    client: TestClient, make_participant, make_staff, capsys
) -> None:
    teacher, pro = make_participant("teacher"), make_participant("professional")
    idle = make_participant("teacher", place="delft")
    busy_t, busy_p = make_participant("teacher"), make_participant("professional")
    coordinator = make_staff("coordinator", ["rotterdam", "den-haag"])
    match = mutual_match(client, teacher, pro)
    exited = client.post(
        f"{API}/matches/{match['id']}/exit",
        json={"reason": "no_time", "note": "Mijn leidinggevende trok zijn steun in."},
        headers=teacher.headers,
    )
    assert exited.status_code == 200
    ongoing = mutual_match(client, busy_t, busy_p)

    clock.advance(timedelta(days=40))
    fresh = make_participant("professional")  # registered and logged in "today"
    cli(["purge", "--days", "30"])
    assert "erased" in capsys.readouterr().out

    # idle, teacher and pro have not logged in for 40 days and have no ongoing match: erased
    for person in (idle, teacher, pro):
        login = client.post(
            f"{API}/auth/token", data={"username": person.email, "password": PASSWORD}
        )
        assert login.status_code == 401
    # the pair in an ongoing match and the fresh account are kept
    for person in (busy_t, fresh):
        login = client.post(
            f"{API}/auth/token", data={"username": person.email, "password": PASSWORD}
        )
        assert login.status_code == 200, person.email
    # the old trajectory keeps its facts for the statistics, not the personal note
    coordinator = make_staff("coordinator", ["rotterdam", "den-haag"])
    row = client.get(f"{API}/coordinator/matches/{match['id']}", headers=coordinator.headers)
    assert row.status_code == 200
    assert row.json()["exit_reason"] == "no_time"
    assert row.json()["exit_note"] is None
    still = client.get(f"{API}/coordinator/matches/{ongoing['id']}", headers=coordinator.headers)
    assert still.json()["status"] == "trial"


def test_purge_twice_changes_nothing_the_second_time(make_participant, capsys) -> None:
    make_participant("teacher")
    clock.advance(timedelta(days=40))
    cli(["purge", "--days", "30"])
    first = capsys.readouterr().out
    cli(["purge", "--days", "30"])
    second = capsys.readouterr().out
    assert "1 inactive account(s) erased" in first
    assert "0 trajectory(ies) stripped, 0 inactive account(s) erased" in second


def test_a_login_committing_while_purge_runs_keeps_the_account(client, make_participant) -> None:
    """purge decides on last login and ongoing matches under the user's row lock, so a login
    (which updates that row) that commits while purge waits for it keeps the account."""
    teacher = make_participant("teacher")
    clock.advance(timedelta(days=40))
    with get_engine().connect() as conn:  # a login in progress: it holds the user's row
        transaction = conn.begin()
        conn.execute(
            update(User).where(col(User.id) == teacher.id).values(last_login_at=clock.now())
        )
        purging = threading.Thread(target=cli, args=(["purge", "--days", "30"],))
        purging.start()
        time.sleep(1.0)  # purge has read its candidates and waits for the row
        transaction.commit()
    purging.join(timeout=60)
    assert not purging.is_alive()
    login = client.post(f"{API}/auth/token", data={"username": teacher.email, "password": PASSWORD})
    assert login.status_code == 200, login.text


def test_purge_drops_the_like_counts_of_past_days_only(client, db, make_participant) -> None:
    teacher = make_participant("teacher")
    pros = [make_participant("professional") for _ in range(2)]

    def like(target_id: int) -> None:
        body = {"target_id": target_id, "decision": "like"}
        assert client.post(f"{API}/swipes", json=body, headers=teacher.headers).status_code == 201

    like(pros[0].id)
    clock.advance(timedelta(days=1))
    teacher.headers = {"Authorization": f"Bearer {login(client, teacher.email)['access_token']}"}
    like(pros[1].id)
    cli(["purge", "--days", "30"])
    db.rollback()
    counts = [(d.day, d.likes) for d in db.scalars(select(DailyLikes))]
    assert counts == [(clock.now().date(), 1)]


def test_purge_removes_ended_sessions_and_expired_mail_tokens(
    client: TestClient, make_participant, db
) -> None:
    from sqlalchemy import select

    from app.models import AccountToken, LoginSession

    kept = make_participant("teacher")
    ended = make_participant("professional")
    assert client.post(f"{API}/auth/logout", headers=ended.headers).status_code == 204
    clock.advance(timedelta(minutes=32))  # the ended session's access tokens have expired
    cli(["purge", "--days", "30"])
    db.rollback()
    owners = set(db.scalars(select(LoginSession.user_id)))
    assert owners == {kept.id}  # the session in force stays; the ended one is gone
    assert db.scalars(select(AccountToken)).all() != []  # used verification tokens, not expired
    clock.advance(timedelta(days=3))
    cli(["purge", "--days", "30"])
    db.rollback()
    assert db.scalars(select(AccountToken)).all() == []
    assert set(db.scalars(select(LoginSession.user_id))) == {kept.id}  # refresh token valid
