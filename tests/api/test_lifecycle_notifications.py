"""Time-based events: trial_ending and behind_schedule notifications, and `jobtinder tick`.

They are emitted by whoever notices first (GET /notifications, or the tick command) and must
never be stored twice, however many requests, ticks or processes see them at the same moment.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app import clock
from app.cli import main as jobtinder
from app.db import new_session
from app.models import Match, Notification
from app.services import time_events
from tests.conftest import API, Person, mutual_match
from tests.utils import relogin


def of_type(client: TestClient, who: Person, type_: str) -> list[dict[str, Any]]:
    response = client.get(f"{API}/notifications", params={"limit": 100}, headers=who.headers)
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["type"] == type_]


def stored(db: Session, type_: str) -> int:
    db.rollback()
    query = select(func.count()).select_from(Notification).where(Notification.type == type_)
    return int(db.scalar(query) or 0)


def tick(capsys: pytest.CaptureFixture[str]) -> str:
    jobtinder(["tick"])
    return capsys.readouterr().out


def later(client: TestClient, days: float, *people: Person) -> None:
    clock.advance(timedelta(days=days))
    relogin(client, *people)


@pytest.fixture
def pair(client, make_participant) -> tuple[Person, Person, dict[str, Any]]:
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    return teacher, pro, mutual_match(client, teacher, pro)


@pytest.fixture
def active_pair(client, pair) -> tuple[Person, Person, dict[str, Any]]:
    teacher, pro, match = pair
    for who in (teacher, pro):
        response = client.post(f"{API}/matches/{match['id']}/confirm", headers=who.headers)
        assert response.status_code == 200, response.text
    return pair


# --- trial_ending ------------------------------------------------------------------------------


def test_trial_ending_arrives_once_for_each_partner(client, db, capsys, pair):
    teacher, pro, match = pair
    # Trial of 30 days, notice 5 days before its end: nothing on day 24.
    later(client, 24.9, teacher, pro)
    assert of_type(client, teacher, "trial_ending") == []
    tick(capsys)
    assert of_type(client, pro, "trial_ending") == []
    assert stored(db, "trial_ending") == 0

    later(client, 0.2, teacher, pro)  # now past trial end − 5 days
    for _ in range(3):
        [note] = of_type(client, teacher, "trial_ending")
    assert note["data"]["match_id"] == match["id"]
    assert note["data"]["trial_ends_at"].startswith(match["trial_ends_at"][:16])
    assert note["read"] is False
    assert "reason" not in note["data"] and "partner_name" not in note["data"]
    assert stored(db, "trial_ending") == 1
    tick(capsys)  # adds the professional's
    assert stored(db, "trial_ending") == 2
    tick(capsys)
    for _ in range(3):
        assert len(of_type(client, pro, "trial_ending")) == 1
        assert len(of_type(client, teacher, "trial_ending")) == 1
    assert stored(db, "trial_ending") == 2

    # Days later, and after the trial end (overdue), still only that one.
    later(client, 10, teacher, pro)
    tick(capsys)
    assert len(of_type(client, teacher, "trial_ending")) == 1
    assert len(of_type(client, pro, "trial_ending")) == 1
    assert stored(db, "trial_ending") == 2


def test_tick_alone_reaches_both_partners(client, db, capsys, pair):
    teacher, pro, _ = pair
    later(client, 26, teacher, pro)
    out = tick(capsys)
    assert "sent" in out
    assert stored(db, "trial_ending") == 2
    assert len(of_type(client, teacher, "trial_ending")) == 1
    assert len(of_type(client, pro, "trial_ending")) == 1


def test_no_trial_ending_once_confirmed_or_ended(client, db, capsys, make_participant, active_pair):
    teacher, pro, _ = active_pair
    other_teacher, other_pro = make_participant("teacher"), make_participant("professional")
    ended = mutual_match(client, other_teacher, other_pro)
    assert client.post(f"{API}/matches/{ended['id']}/exit", headers=other_pro.headers).is_success
    later(client, 27, teacher, pro, other_teacher, other_pro)
    tick(capsys)
    for who in (teacher, pro, other_teacher, other_pro):
        assert of_type(client, who, "trial_ending") == []
    assert stored(db, "trial_ending") == 0


# --- behind_schedule ---------------------------------------------------------------------------


def test_behind_schedule_after_three_weeks_without_hours_once_a_week(
    client, db, capsys, active_pair
):
    teacher, pro, match = active_pair
    later(client, 13, teacher, pro)  # the first two weeks never count as behind
    tick(capsys)
    assert of_type(client, teacher, "behind_schedule") == []
    assert stored(db, "behind_schedule") == 0

    later(client, 8, teacher, pro)  # three weeks, no hours
    for _ in range(3):
        [note] = of_type(client, teacher, "behind_schedule")
    assert note["data"]["match_id"] == match["id"]
    assert note["data"]["hours_logged"] == 0
    assert note["data"]["expected_hours_by_now"] > 0
    assert note["data"]["behind_by_hours"] == note["data"]["expected_hours_by_now"]
    tick(capsys)
    tick(capsys)
    assert len(of_type(client, pro, "behind_schedule")) == 1
    assert len(of_type(client, teacher, "behind_schedule")) == 1
    assert stored(db, "behind_schedule") == 2

    # A week later, still nothing logged: one more each.
    later(client, 7, teacher, pro)
    tick(capsys)
    of_type(client, teacher, "behind_schedule")
    assert len(of_type(client, teacher, "behind_schedule")) == 2
    assert len(of_type(client, pro, "behind_schedule")) == 2
    assert stored(db, "behind_schedule") == 4

    # Catching up stops them.
    for _ in range(3):
        response = client.post(
            f"{API}/matches/{match['id']}/meetings",
            json={"date": clock.now().date().isoformat(), "hours": 4, "activity": "sparring"},
            headers=pro.headers,
        )
        assert response.status_code == 201, response.text
    later(client, 7, teacher, pro)
    tick(capsys)
    assert len(of_type(client, teacher, "behind_schedule")) == 2
    assert stored(db, "behind_schedule") == 4


def test_behind_schedule_shows_up_for_the_coordinator(client, make_staff, active_pair):
    teacher, pro, match = active_pair
    coordinator = make_staff("coordinator", regions=["rotterdam"])

    def at_risk() -> set[int]:
        response = client.get(
            f"{API}/coordinator/matches", params={"at_risk": True}, headers=coordinator.headers
        )
        assert response.status_code == 200, response.text
        return {m["id"] for m in response.json()["items"]}

    assert at_risk() == set()
    later(client, 21, coordinator)
    assert at_risk() == {match["id"]}
    [row] = client.get(f"{API}/coordinator/matches", headers=coordinator.headers).json()["items"]
    assert row["at_risk"] is True
    not_at_risk = client.get(
        f"{API}/coordinator/matches", params={"at_risk": False}, headers=coordinator.headers
    )
    assert not_at_risk.json()["items"] == []


# --- tick and completion -----------------------------------------------------------------------


def test_tick_stores_completion_of_matches_past_their_end(client, db, capsys, active_pair):
    teacher, pro, match = active_pair
    assert "completed 0 match" in tick(capsys)
    later(client, 200, teacher)
    db.rollback()
    assert db.get(Match, match["id"]).status == "active"  # type: ignore[union-attr]
    # Reads already say completed, before any tick ran.
    seen = client.get(f"{API}/matches/{match['id']}", headers=teacher.headers)
    assert seen.json()["status"] == "completed"

    assert "completed 1 match" in tick(capsys)
    assert "completed 0 match" in tick(capsys)
    db.rollback()
    stored_match = db.get(Match, match["id"])
    assert stored_match is not None and stored_match.status == "completed"
    assert clock.as_utc(stored_match.completed_at) == clock.as_utc(stored_match.ends_at)
    assert (
        client.get(f"{API}/matches/{match['id']}", headers=teacher.headers).json()["status"]
        == "completed"
    )
    # A completed pair is neither reminded nor flagged.
    assert of_type(client, teacher, "behind_schedule") == []


def test_trial_matches_are_not_completed_by_tick(client, db, capsys, pair):
    teacher, _, match = pair
    later(client, 200, teacher)
    assert "completed 0 match" in tick(capsys)
    db.rollback()
    assert db.get(Match, match["id"]).status == "trial"  # type: ignore[union-attr]


def test_simultaneous_emitters_never_duplicate(client, db, active_pair):
    """Many sessions (as separate processes would) emit the same due events at one moment."""
    teacher, pro, _ = active_pair
    clock.advance(timedelta(days=22))
    barrier = Barrier(8)

    def emit(n: int) -> None:
        barrier.wait()
        if n % 2:  # GET /notifications of either partner
            with new_session() as session:
                who = teacher if n % 4 == 1 else pro
                time_events.emit_due_notifications(session=session, user_id=who.id)
        else:  # jobtinder tick
            with new_session(write=True) as session:
                time_events.tick(session=session)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(emit, n) for n in range(8)]:
            future.result()
    assert stored(db, "behind_schedule") == 2
