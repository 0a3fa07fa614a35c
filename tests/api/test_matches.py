"""GET /api/v1/matches, confirm after the trial, and the no-hard-feelings exit."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app import clock
from app.models import Match, Notification
from tests.conftest import API, Person, mutual_match
from tests.utils import assert_problem, count_rows, relogin

NOTE = "Het klikte niet met zijn werktijden, sorry"


def stored_match(db: Session, match_id: int) -> Match:
    db.rollback()
    match = db.get(Match, match_id)
    assert match is not None
    return match


def get_match(client: TestClient, who: Person, match_id: int) -> dict[str, Any]:
    response = client.get(f"{API}/matches/{match_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def list_matches(client: TestClient, who: Person, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/matches", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def notifications(client: TestClient, who: Person) -> list[dict[str, Any]]:
    response = client.get(f"{API}/notifications", params={"limit": 100}, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def of_type(client: TestClient, who: Person, type_: str) -> list[dict[str, Any]]:
    return [n for n in notifications(client, who) if n["type"] == type_]


def confirm(client: TestClient, who: Person, match_id: int):
    return client.post(f"{API}/matches/{match_id}/confirm", headers=who.headers)


def exit_(client: TestClient, who: Person, match_id: int, body: Any = None):
    if body is None:
        return client.post(f"{API}/matches/{match_id}/exit", headers=who.headers)
    return client.post(f"{API}/matches/{match_id}/exit", json=body, headers=who.headers)


def parse(ts: str) -> datetime:
    value = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    assert value.tzinfo is not None, ts
    assert value.utcoffset() == timedelta(0), ts
    return value


@pytest.fixture
def pair(client, make_participant) -> tuple[Person, Person, dict[str, Any]]:
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    return teacher, pro, mutual_match(client, teacher, pro)


# --- listing and reading ---------------------------------------------------------------------


def test_list_newest_first_with_status_filter_and_pages(client, make_participant):
    teacher = make_participant("teacher")
    pros = [make_participant("professional") for _ in range(3)]
    ids = []
    for pro in pros:
        match = mutual_match(client, teacher, pro)
        ids.append(match["id"])
        if pro is not pros[-1]:
            assert exit_(client, teacher, match["id"]).status_code == 200

    everything = list_matches(client, teacher)
    assert set(everything) >= {"items", "next_cursor"}
    assert everything["next_cursor"] is None
    items = everything["items"]
    assert [m["id"] for m in items] == ids[::-1]
    created = [parse(m["created_at"]) for m in items]
    assert created == sorted(created, reverse=True)
    assert [m["partner"]["id"] for m in items] == [p.id for p in pros[::-1]]
    assert [m["status"] for m in items] == ["trial", "ended", "ended"]

    assert [m["id"] for m in list_matches(client, teacher, status="trial")["items"]] == [ids[2]]
    assert [m["id"] for m in list_matches(client, teacher, status="ended")["items"]] == [
        ids[1],
        ids[0],
    ]
    assert list_matches(client, teacher, status="active")["items"] == []
    assert list_matches(client, teacher, status="completed")["items"] == []

    first = list_matches(client, teacher, limit=2)
    assert [m["id"] for m in first["items"]] == [ids[2], ids[1]]
    assert first["next_cursor"]
    second = list_matches(client, teacher, limit=2, cursor=first["next_cursor"])
    assert [m["id"] for m in second["items"]] == [ids[0]]
    assert second["next_cursor"] is None

    # Each professional sees only their own match.
    for pro, match_id in zip(pros, ids, strict=True):
        assert [m["id"] for m in list_matches(client, pro)["items"]] == [match_id]


def test_list_rejects_unknown_status_and_bad_limit(client, pair):
    teacher, _, _ = pair
    for params in ({"status": "finished"}, {"limit": 101}, {"limit": 0}, {"cursor": "%%%"}):
        response = client.get(f"{API}/matches", params=params, headers=teacher.headers)
        assert_problem(response, 422)


def test_a_match_is_only_visible_to_its_partners(client, make_participant, make_staff, pair):
    teacher, pro, match = pair
    stranger = make_participant("teacher")
    coordinator = make_staff("coordinator", regions=["amsterdam"])

    for outsider in (stranger, coordinator):
        assert_problem(client.get(f"{API}/matches/{match['id']}", headers=outsider.headers), 404)
    for impossible in (999_999, 0, 2**31, 10**20):
        assert_problem(client.get(f"{API}/matches/{impossible}", headers=teacher.headers), 404)
        assert_problem(confirm(client, teacher, impossible), 404)
        assert_problem(exit_(client, teacher, impossible), 404)
    assert list_matches(client, stranger)["items"] == []

    mine = get_match(client, teacher, match["id"])
    assert mine["id"] == match["id"]
    assert mine["status"] == "trial"
    assert mine["origin"] == "mutual_like"
    assert mine["partner"]["id"] == pro.id
    assert mine["partner"]["side"] == "professional"
    assert mine["partner"]["contact"]["email"] == "pro.contact@example.org"
    assert mine["partner"]["contact"]["phone"] == "+31 6 22222222"
    for key in ("created_at", "trial_ends_at", "ends_at"):
        parse(mine[key])
    assert parse(mine["trial_ends_at"]) - parse(mine["created_at"]) == timedelta(days=30)
    assert mine["duration_months"] == 3
    assert 89 <= (parse(mine["ends_at"]) - parse(mine["created_at"])).days <= 92
    assert mine["ended_at"] is None
    assert mine["trial_overdue"] is False

    theirs = get_match(client, pro, match["id"])
    assert theirs["partner"]["id"] == teacher.id
    assert theirs["partner"]["contact"]["email"] == "teacher.contact@example.org"


# --- confirm -----------------------------------------------------------------------------------


def test_confirm_by_one_stays_trial_and_tells_the_partner(client, pair):
    teacher, pro, match = pair

    response = confirm(client, teacher, match["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "trial"
    assert body["confirmed_by_me"] is True
    assert body["confirmed_by_partner"] is False

    theirs = get_match(client, pro, match["id"])
    assert theirs["status"] == "trial"
    assert theirs["confirmed_by_partner"] is True
    assert theirs["confirmed_by_me"] is False

    told = of_type(client, pro, "partner_confirmed")
    assert len(told) == 1 and told[0]["data"]["match_id"] == match["id"]
    assert of_type(client, teacher, "partner_confirmed") == []


def test_confirm_by_both_makes_it_active_and_tells_both(client, pair):
    teacher, pro, match = pair
    assert confirm(client, pro, match["id"]).status_code == 200
    response = confirm(client, teacher, match["id"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"
    assert response.json()["confirmed_by_me"] is True
    assert response.json()["confirmed_by_partner"] is True

    for who in (teacher, pro):
        assert get_match(client, who, match["id"])["status"] == "active"
        active = of_type(client, who, "match_active")
        assert len(active) == 1 and active[0]["data"]["match_id"] == match["id"]
    assert [m["id"] for m in list_matches(client, teacher, status="active")["items"]] == [
        match["id"]
    ]
    assert list_matches(client, teacher, status="trial")["items"] == []


def test_confirm_twice_is_harmless(client, db, pair):
    teacher, pro, match = pair
    first = confirm(client, teacher, match["id"])
    second = confirm(client, teacher, match["id"])
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert second.json()["status"] == "trial"
    assert len(of_type(client, pro, "partner_confirmed")) == 1
    assert count_rows(db, Notification, Notification.type == "partner_confirmed") == 1

    # The retry of the confirm that made it active is just as harmless (no second match_active).
    activated = confirm(client, pro, match["id"])
    assert activated.json()["status"] == "active"
    again = confirm(client, pro, match["id"])
    assert again.status_code == 200, again.text
    assert again.json() == activated.json()
    assert confirm(client, teacher, match["id"]).status_code == 200
    assert get_match(client, pro, match["id"])["status"] == "active"
    assert count_rows(db, Notification, Notification.type == "match_active") == 2


def test_confirm_of_an_ended_match_is_409(client, pair):
    teacher, pro, match = pair
    assert exit_(client, pro, match["id"]).status_code == 200
    assert_problem(confirm(client, teacher, match["id"]), 409)
    assert get_match(client, teacher, match["id"])["confirmed_by_me"] is False


def test_confirm_by_a_stranger_is_404(client, make_participant, pair):
    _, pro, match = pair
    stranger = make_participant("teacher")
    assert_problem(confirm(client, stranger, match["id"]), 404)
    assert get_match(client, pro, match["id"])["confirmed_by_partner"] is False


# --- exit ---------------------------------------------------------------------------------------


def test_exit_ends_the_match_and_hides_reason_and_note_from_the_partner(client, db, pair):
    teacher, pro, match = pair
    response = exit_(client, teacher, match["id"], {"reason": "no_time", "note": NOTE})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ended"
    assert body["ended_at"] is not None
    parse(body["ended_at"])

    theirs = client.get(f"{API}/matches/{match['id']}", headers=pro.headers)
    assert theirs.status_code == 200 and theirs.json()["status"] == "ended"
    listed = client.get(f"{API}/matches", headers=pro.headers)
    told = client.get(f"{API}/notifications", headers=pro.headers)
    ended = [n for n in told.json()["items"] if n["type"] == "match_ended"]
    assert len(ended) == 1 and ended[0]["data"]["match_id"] == match["id"]
    for text in (theirs.text, listed.text, told.text):
        assert "no_time" not in text
        assert NOTE not in text
        assert "Geen tijd" not in text
        assert "reason" not in text
        assert "note" not in text

    # Stored for the coordinator.
    stored = stored_match(db, match["id"])
    assert stored.exit_reason == "no_time"
    assert stored.exit_note == NOTE


def test_exit_with_unknown_reason_is_422_and_changes_nothing(client, db, pair):
    teacher, pro, match = pair
    for body in ({"reason": "boring"}, {"reason": "no_time", "extra": 1}, {"note": "x" * 2001}):
        assert_problem(exit_(client, teacher, match["id"], body), 422)
    assert get_match(client, pro, match["id"])["status"] == "trial"
    assert of_type(client, pro, "match_ended") == []
    stored = stored_match(db, match["id"])
    assert stored.status == "trial"
    assert stored.ended_at is None and stored.exit_reason is None and stored.exit_note is None


def test_exit_twice_is_409(client, db, pair):
    teacher, pro, match = pair
    assert exit_(client, teacher, match["id"], {"reason": "no_click"}).status_code == 200
    assert_problem(exit_(client, teacher, match["id"]), 409)
    assert_problem(exit_(client, pro, match["id"], {"reason": "no_time"}), 409)
    assert stored_match(db, match["id"]).exit_reason == "no_click"
    assert len(of_type(client, pro, "match_ended")) == 1
    assert of_type(client, teacher, "match_ended") == []


def test_exit_by_a_stranger_is_404_and_changes_nothing(client, db, make_participant, pair):
    teacher, pro, match = pair
    stranger = make_participant("professional")
    assert_problem(exit_(client, stranger, match["id"], {"reason": "no_time"}), 404)
    assert get_match(client, teacher, match["id"])["status"] == "trial"
    assert of_type(client, teacher, "match_ended") == []
    assert of_type(client, pro, "match_ended") == []
    assert stored_match(db, match["id"]).ended_at is None


def test_exit_without_a_body_works(client, db, pair):
    teacher, pro, match = pair
    response = exit_(client, pro, match["id"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ended"
    assert get_match(client, teacher, match["id"])["status"] == "ended"
    assert len(of_type(client, teacher, "match_ended")) == 1
    stored = stored_match(db, match["id"])
    assert stored.exit_reason is None and stored.exit_note is None


def test_exit_of_an_active_match(client, pair):
    teacher, pro, match = pair
    assert confirm(client, teacher, match["id"]).status_code == 200
    assert confirm(client, pro, match["id"]).json()["status"] == "active"
    response = exit_(client, pro, match["id"], {"reason": "personal_circumstances"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ended"
    assert get_match(client, teacher, match["id"])["status"] == "ended"


def test_after_exit_both_can_match_with_others(client, db, make_participant, pair):
    teacher, pro, match = pair
    new_pro = make_participant("professional")
    new_teacher = make_participant("teacher")
    assert exit_(client, teacher, match["id"]).status_code == 200

    assert mutual_match(client, teacher, new_pro)["partner"]["id"] == teacher.id
    assert mutual_match(client, new_teacher, pro)["partner"]["id"] == new_teacher.id
    assert count_rows(db, Match) == 3
    assert count_rows(db, Match, Match.status == "trial") == 2
    # The exited pair is never matched again: a retried like still points at the ended match.
    retry = client.post(
        f"{API}/swipes", json={"target_id": pro.id, "decision": "like"}, headers=teacher.headers
    )
    assert retry.status_code == 200, retry.text
    assert retry.json()["match"]["id"] == match["id"]
    assert retry.json()["match"]["status"] == "ended"
    assert count_rows(db, Match) == 3


# --- time --------------------------------------------------------------------------------------


def test_trial_past_its_end_stays_trial_and_is_overdue(client, pair):
    teacher, pro, match = pair
    assert get_match(client, teacher, match["id"])["trial_overdue"] is False

    clock.advance(timedelta(days=31))
    relogin(client, teacher, pro)

    late = get_match(client, teacher, match["id"])
    assert late["status"] == "trial"
    assert late["trial_overdue"] is True
    assert [m["id"] for m in list_matches(client, pro, status="trial")["items"]] == [match["id"]]

    # Both can still confirm late; then it is active and no longer overdue.
    assert confirm(client, teacher, match["id"]).status_code == 200
    done = confirm(client, pro, match["id"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "active"
    assert done.json()["trial_overdue"] is False


def test_active_match_past_its_end_is_completed(client, make_participant, pair):
    teacher, pro, match = pair
    assert confirm(client, teacher, match["id"]).status_code == 200
    assert confirm(client, pro, match["id"]).json()["status"] == "active"

    clock.advance(timedelta(days=200))
    relogin(client, teacher, pro)

    for who in (teacher, pro):
        assert get_match(client, who, match["id"])["status"] == "completed"
        found = list_matches(client, who, status="completed")["items"]
        assert [m["id"] for m in found] == [match["id"]]
        assert found[0]["status"] == "completed"
        assert list_matches(client, who, status="active")["items"] == []
    # A completed match cannot be exited or confirmed any more.
    assert_problem(exit_(client, teacher, match["id"]), 409)
    assert_problem(confirm(client, teacher, match["id"]), 409)
    # It no longer counts against the limit: both can match again.
    new_pro = make_participant("professional")
    assert mutual_match(client, teacher, new_pro)["status"] == "trial"
