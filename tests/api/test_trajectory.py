"""The trajectory of a match: plan, meetings, progress, evaluations, and who may reach them."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.models import Evaluation, Match, Meeting, Notification, Plan
from app.services.matches import add_months
from tests.conftest import API, COMPLETE_PROFILE, Person, mutual_match
from tests.utils import assert_problem, relogin

MIDTERM = {
    "kind": "midterm",
    "satisfaction": 4,
    "personal_click": 5,
    "professional_click": 3,
    "different_types": 2,
    "match_importance": 4,
    "confidence": 3,
    "comment": "Prettige gesprekken, nog weinig gedaan.",
}
FINAL = {
    "kind": "final",
    "expectations_met": 4,
    "outcomes_reached": ["richer_experience", "broader_network"],
    "hours_spent": 21.5,
    "will_continue": "yes",
    "continue_form": "Jaarlijks een gastles.",
}


# --- helpers -----------------------------------------------------------------------------------


def url(match_id: int, part: str) -> str:
    return f"{API}/matches/{match_id}/{part}"


def today() -> date:
    return clock.now().date()


def months_after(day: date, months: int) -> date:
    return add_months(datetime.combine(day, datetime.min.time(), UTC), months).date()


def day_of(timestamp: str) -> date:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(UTC).date()


def snapshot(db: Session) -> dict[str, list[dict[str, Any]]]:
    """Everything the trajectory routes could write."""
    db.rollback()
    tables = {"plans": Plan, "meetings": Meeting, "evaluations": Evaluation, "matches": Match}
    out = {
        name: [row.model_dump() for row in db.scalars(select(model))]
        for name, model in tables.items()
    }
    out["notifications"] = [n.model_dump() for n in db.scalars(select(Notification))]
    return out


def confirm_both(client: TestClient, match_id: int, *people: Person) -> None:
    for who in people:
        response = client.post(f"{API}/matches/{match_id}/confirm", headers=who.headers)
        assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"


def log(client: TestClient, who: Person, match_id: int, **fields: Any):
    body = {"date": today().isoformat(), "hours": 2.0, "activity": "workplace_visit"} | fields
    return client.post(url(match_id, "meetings"), json=body, headers=who.headers)


def plan_body(start: date, **fields: Any) -> dict[str, Any]:
    return {
        "start_date": start.isoformat(),
        "planned_end": months_after(start, 4).isoformat(),
    } | fields


@pytest.fixture
def pair(client, make_participant) -> tuple[Person, Person, dict[str, Any]]:
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    return teacher, pro, mutual_match(client, teacher, pro)


@pytest.fixture
def active_pair(client, pair) -> tuple[Person, Person, dict[str, Any]]:
    teacher, pro, match = pair
    confirm_both(client, match["id"], teacher, pro)
    return pair


# --- plan --------------------------------------------------------------------------------------


def test_default_plan_comes_from_the_match_and_both_profiles(client, pair):
    teacher, pro, match = pair
    response = client.get(url(match["id"], "plan"), headers=teacher.headers)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["stored"] is False
    assert plan["updated_at"] is None and plan["updated_by_id"] is None
    assert plan["my_goals"] == COMPLETE_PROFILE["teacher"]["goals"]
    assert plan["partner_goals"] == COMPLETE_PROFILE["professional"]["goals"]
    assert plan["teacher_goals"] == COMPLETE_PROFILE["teacher"]["goals"]
    assert plan["professional_goals"] == COMPLETE_PROFILE["professional"]["goals"]
    assert plan["joint_goals"] == [] and plan["planned_activities"] == []
    assert plan["planned_meetings"] == 6
    assert plan["hours_target"] == 20
    assert plan["start_date"] == day_of(match["created_at"]).isoformat()
    assert plan["planned_end"] == day_of(match["ends_at"]).isoformat()

    theirs = client.get(url(match["id"], "plan"), headers=pro.headers).json()
    assert theirs["my_goals"] == COMPLETE_PROFILE["professional"]["goals"]
    assert theirs["partner_goals"] == COMPLETE_PROFILE["teacher"]["goals"]


def test_put_plan_stores_it_for_both_and_moves_the_planned_end(client, db, pair):
    teacher, pro, match = pair
    start = day_of(match["created_at"]) + timedelta(days=7)
    end = months_after(start, 5)
    body = {
        "my_goals": ["other_world", "practice_in_lessons"],
        "joint_goals": ["  Een gastles voor 4 havo  ", "Bedrijfsbezoek met de klas"],
        "planned_meetings": 8,
        "hours_target": 24,
        "planned_activities": ["intake", "guest_lesson", "pupils_company_visit"],
        "start_date": start.isoformat(),
        "planned_end": end.isoformat(),
    }
    response = client.put(url(match["id"], "plan"), json=body, headers=teacher.headers)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["stored"] is True
    assert plan["updated_by_id"] == teacher.id and plan["updated_at"]
    assert plan["my_goals"] == ["other_world", "practice_in_lessons"]
    assert plan["partner_goals"] == COMPLETE_PROFILE["professional"]["goals"]
    assert plan["joint_goals"] == ["Een gastles voor 4 havo", "Bedrijfsbezoek met de klas"]
    assert (plan["planned_meetings"], plan["hours_target"]) == (8, 24)
    assert plan["planned_activities"] == ["intake", "guest_lesson", "pupils_company_visit"]
    assert (plan["start_date"], plan["planned_end"]) == (start.isoformat(), end.isoformat())

    # The partner sees the same plan, from their side.
    theirs = client.get(url(match["id"], "plan"), headers=pro.headers).json()
    assert theirs["partner_goals"] == ["other_world", "practice_in_lessons"]
    assert theirs["my_goals"] == COMPLETE_PROFILE["professional"]["goals"]
    assert theirs["joint_goals"] == plan["joint_goals"] and theirs["stored"] is True

    # The planned end is the match's end now.
    seen = client.get(f"{API}/matches/{match['id']}", headers=pro.headers).json()
    assert day_of(seen["ends_at"]) == end
    assert seen["duration_months"] == 5

    # The partner may change the plan; leaving my_goals out keeps everyone's goals.
    again = client.put(
        url(match["id"], "plan"), json=plan_body(start, hours_target=30), headers=pro.headers
    )
    assert again.status_code == 200, again.text
    assert again.json()["partner_goals"] == ["other_world", "practice_in_lessons"]
    assert again.json()["my_goals"] == COMPLETE_PROFILE["professional"]["goals"]
    assert again.json()["hours_target"] == 30 and again.json()["joint_goals"] == []
    assert again.json()["planned_meetings"] == 6
    # And set only their own goals.
    mine = client.put(
        url(match["id"], "plan"),
        json=plan_body(start, my_goals=["people_skills"]),
        headers=pro.headers,
    ).json()
    assert mine["professional_goals"] == ["people_skills"]
    assert mine["teacher_goals"] == ["other_world", "practice_in_lessons"]
    db.rollback()
    assert len(db.scalars(select(Plan)).all()) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"planned_end": "months+2"},
        {"planned_end": "months+7"},
        {"start_date": "before-match"},
        {"start_date": "far-future"},
        {"my_goals": ["world_peace"]},
        {"my_goals": ["other_world", "other_world"]},
        {"planned_activities": ["karaoke"]},
        {"joint_goals": ["x" * 201]},
        {"joint_goals": ["   "]},
        {"joint_goals": [f"doel {i}" for i in range(11)]},
        {"planned_meetings": 0},
        {"planned_meetings": 21},
        {"hours_target": 0.5},
        {"hours_target": 201},
        {"start_date": "23-11-2026"},
        {"start_date": 20261123},
        {"planned_end": "2027-03-01T00:00:00"},
        {"start_date": None},
        {"colour": "blue"},
    ],
)
def test_put_plan_rejects_bad_input_and_writes_nothing(client, db, pair, change):
    teacher, _, match = pair
    start = day_of(match["created_at"])
    special = {
        "months+2": months_after(start, 2).isoformat(),
        "months+7": months_after(start, 7).isoformat(),
        "before-match": (start - timedelta(days=1)).isoformat(),
        "far-future": (start + timedelta(days=400)).isoformat(),
    }
    body = plan_body(start) | {
        k: special.get(v, v) if isinstance(v, str) else v for k, v in change.items()
    }
    if change.get("start_date") == "far-future":
        body["planned_end"] = months_after(start + timedelta(days=400), 4).isoformat()
    before = snapshot(db)
    assert_problem(client.put(url(match["id"], "plan"), json=body, headers=teacher.headers), 422)
    assert snapshot(db) == before


def test_put_plan_needs_a_future_end_and_an_ongoing_match(client, db, pair):
    teacher, pro, match = pair
    start = day_of(match["created_at"])
    clock.advance(timedelta(days=125))
    relogin(client, teacher, pro)
    before = snapshot(db)
    assert_problem(
        client.put(url(match["id"], "plan"), json=plan_body(start), headers=teacher.headers), 422
    )
    assert snapshot(db) == before

    assert client.post(f"{API}/matches/{match['id']}/exit", headers=pro.headers).status_code == 200
    before = snapshot(db)
    body = {"start_date": today().isoformat(), "planned_end": months_after(today(), 3).isoformat()}
    assert_problem(client.put(url(match["id"], "plan"), json=body, headers=teacher.headers), 409)
    assert snapshot(db) == before
    # Still readable afterwards.
    assert client.get(url(match["id"], "plan"), headers=teacher.headers).status_code == 200


# --- meetings ----------------------------------------------------------------------------------


def test_either_partner_logs_meetings_and_both_list_them_newest_first(client, pair):
    teacher, pro, match = pair
    clock.advance(timedelta(days=10))
    relogin(client, teacher, pro)
    first = log(
        client,
        teacher,
        match["id"],
        date=(today() - timedelta(days=8)).isoformat(),
        hours=2.5,
        activity="intake",
        note="Kennismaking op school",
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["date"] == (today() - timedelta(days=8)).isoformat()
    assert (body["hours"], body["activity"]) == (2.5, "intake")
    assert body["note"] == "Kennismaking op school"
    assert body["logged_by_id"] == teacher.id and body["logged_by_me"] is True
    assert body["created_at"].endswith(("Z", "+00:00"))

    second = log(client, pro, match["id"], date=today().isoformat(), hours=0.5)
    third = log(
        client, teacher, match["id"], date=(today() - timedelta(days=3)).isoformat(), hours=12
    )
    assert second.status_code == 201 and third.status_code == 201, (second.text, third.text)

    listed = client.get(url(match["id"], "meetings"), headers=pro.headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [m["id"] for m in items] == [second.json()["id"], third.json()["id"], body["id"]]
    assert [m["logged_by_me"] for m in items] == [True, False, False]
    assert listed.json()["next_cursor"] is None

    page = client.get(url(match["id"], "meetings"), params={"limit": 2}, headers=teacher.headers)
    assert [m["id"] for m in page.json()["items"]] == [second.json()["id"], third.json()["id"]]
    cursor = page.json()["next_cursor"]
    assert cursor
    rest = client.get(
        url(match["id"], "meetings"), params={"limit": 2, "cursor": cursor}, headers=teacher.headers
    )
    assert [m["id"] for m in rest.json()["items"]] == [body["id"]]
    assert rest.json()["next_cursor"] is None
    for params in ({"cursor": "%%%"}, {"cursor": "WzFd"}, {"limit": 0}, {"limit": 101}):
        assert_problem(
            client.get(url(match["id"], "meetings"), params=params, headers=teacher.headers), 422
        )


@pytest.mark.parametrize(
    "change",
    [
        {"hours": 0.4},
        {"hours": 12.5},
        {"hours": "veel"},
        {"date": "tomorrow+1"},
        {"date": "before-match"},
        {"date": "18-01-2027"},
        {"date": "2027-01-18T10:00:00"},
        {"activity": "karaoke"},
        {"activity": None},
        {"note": "x" * 1001},
        {"colour": "blue"},
    ],
)
def test_meeting_rejects_bad_input_and_writes_nothing(client, db, pair, change):
    teacher, _, match = pair
    special = {
        "tomorrow+1": (today() + timedelta(days=2)).isoformat(),
        "before-match": (day_of(match["created_at"]) - timedelta(days=1)).isoformat(),
    }
    fields = {k: special.get(v, v) if isinstance(v, str) else v for k, v in change.items()}
    before = snapshot(db)
    assert_problem(log(client, teacher, match["id"], **fields), 422)
    assert snapshot(db) == before


def test_meeting_needs_date_hours_and_activity(client, db, pair):
    teacher, _, match = pair
    before = snapshot(db)
    for missing in ("date", "hours", "activity"):
        body = {"date": today().isoformat(), "hours": 2, "activity": "sparring"}
        del body[missing]
        response = client.post(url(match["id"], "meetings"), json=body, headers=teacher.headers)
        assert_problem(response, 422)
    assert_problem(client.post(url(match["id"], "meetings"), headers=teacher.headers), 422)
    assert snapshot(db) == before


def test_no_meetings_once_the_match_ended_or_completed(client, db, make_participant, pair):
    teacher, pro, match = pair
    assert log(client, teacher, match["id"]).status_code == 201
    assert client.post(f"{API}/matches/{match['id']}/exit", headers=pro.headers).status_code == 200
    before = snapshot(db)
    assert_problem(log(client, teacher, match["id"]), 409)
    assert_problem(log(client, pro, match["id"]), 409)
    assert snapshot(db) == before
    # The history stays readable.
    listed = client.get(url(match["id"], "meetings"), headers=pro.headers).json()["items"]
    assert len(listed) == 1

    other_teacher, other_pro = make_participant("teacher"), make_participant("professional")
    done = mutual_match(client, other_teacher, other_pro)
    confirm_both(client, done["id"], other_teacher, other_pro)
    clock.advance(timedelta(days=200))
    relogin(client, other_teacher)
    before = snapshot(db)
    assert_problem(log(client, other_teacher, done["id"]), 409)
    assert snapshot(db) == before


# --- progress ----------------------------------------------------------------------------------


def test_progress_follows_the_plan_pace_as_the_clock_moves(client, active_pair):
    teacher, pro, match = active_pair
    start = day_of(match["created_at"])
    end = months_after(start, 3)
    total = (end - start).days
    put = client.put(
        url(match["id"], "plan"),
        json={"start_date": start.isoformat(), "planned_end": end.isoformat(), "hours_target": 20},
        headers=teacher.headers,
    )
    assert put.status_code == 200, put.text

    def progress(who: Person) -> dict[str, Any]:
        response = client.get(url(match["id"], "progress"), headers=who.headers)
        assert response.status_code == 200, response.text
        return response.json()

    now = progress(teacher)
    assert now["hours_logged"] == 0 and now["meetings"] == 0
    assert now["hours_target"] == 20 and now["planned_meetings"] == 6
    assert now["expected_hours_by_now"] == 0 and now["behind_by_hours"] == 0
    assert now["on_track"] is True
    assert (now["start_date"], now["planned_end"]) == (start.isoformat(), end.isoformat())

    # Ten days in, nothing logged: still within the first two weeks, so on track.
    clock.advance(timedelta(days=10))
    relogin(client, teacher, pro)
    early = progress(pro)
    assert early["expected_hours_by_now"] == round(20 * 10 / total, 2)
    assert early["on_track"] is True
    assert log(client, teacher, match["id"], hours=2).status_code == 201

    # A month in with 2 hours: expected ~6.6, 75% of that is more than 2 → behind.
    clock.advance(timedelta(days=20))
    relogin(client, teacher, pro)
    behind = progress(pro)
    expected = round(20 * 30 / total, 2)
    assert behind["expected_hours_by_now"] == expected
    assert behind["hours_logged"] == 2 and behind["meetings"] == 1
    assert behind["on_track"] is False
    assert behind["behind_by_hours"] == round(expected - 2, 2)

    # Catching up puts them back on track.
    assert log(client, pro, match["id"], hours=3.5, activity="guest_lesson").status_code == 201
    caught_up = progress(teacher)
    assert caught_up["hours_logged"] == 5.5 and caught_up["meetings"] == 2
    assert caught_up["on_track"] is True  # 5.5 >= 0.75 × 6.6

    # Past the planned end the expectation is the whole target, never more.
    clock.advance(timedelta(days=total))
    relogin(client, teacher)
    late = progress(teacher)
    assert late["expected_hours_by_now"] == 20
    assert late["behind_by_hours"] == 14.5
    assert late["on_track"] is False


# --- evaluations -------------------------------------------------------------------------------


def evaluations(client: TestClient, who: Person, match_id: int) -> list[dict[str, Any]]:
    response = client.get(url(match_id, "evaluations"), headers=who.headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return response.json()["items"]


def test_midterm_is_private_to_its_author_and_coordinators(client, db, make_staff, pair):
    teacher, pro, match = pair
    coordinator = make_staff("coordinator", regions=["rotterdam"])
    filed = client.post(url(match["id"], "evaluations"), json=MIDTERM, headers=teacher.headers)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["kind"] == "midterm" and body["filed"] is True and body["mine"] is True
    assert body["author_id"] == teacher.id and body["author_side"] == "teacher"
    assert body["answers"] == {k: v for k, v in MIDTERM.items() if k != "kind"}

    before = snapshot(db)
    again = client.post(url(match["id"], "evaluations"), json=MIDTERM, headers=teacher.headers)
    assert_problem(again, 409)
    assert snapshot(db) == before

    mine = evaluations(client, teacher, match["id"])
    assert [(e["author_id"], e["kind"], e["filed"]) for e in mine] == [
        (teacher.id, "midterm", True),
        (teacher.id, "final", False),
        (pro.id, "midterm", False),
        (pro.id, "final", False),
    ]
    assert mine[0]["answers"]["personal_click"] == 5

    theirs = evaluations(client, pro, match["id"])
    assert theirs[0]["author_id"] == pro.id  # mine first
    filed_by_partner = next(
        e for e in theirs if e["author_id"] == teacher.id and e["kind"] == "midterm"
    )
    assert filed_by_partner["filed"] is True and filed_by_partner["mine"] is False
    assert filed_by_partner["created_at"] and filed_by_partner["answers"] is None
    raw = client.get(url(match["id"], "evaluations"), headers=pro.headers).text
    assert "Prettige gesprekken" not in raw and "personal_click" not in raw

    # The partner files their own; it does not reveal mine.
    own = client.post(
        url(match["id"], "evaluations"), json=MIDTERM | {"confidence": 1}, headers=pro.headers
    )
    assert own.status_code == 201, own.text
    assert own.json()["answers"]["confidence"] == 1

    seen = evaluations(client, coordinator, match["id"])
    assert [e["author_id"] for e in seen] == [teacher.id, teacher.id, pro.id, pro.id]
    by = {(e["author_id"], e["kind"]): e for e in seen}
    assert by[(teacher.id, "midterm")]["answers"]["comment"] == MIDTERM["comment"]
    assert by[(pro.id, "midterm")]["answers"]["confidence"] == 1
    assert by[(pro.id, "final")]["filed"] is False and by[(pro.id, "final")]["answers"] is None
    assert all(e["mine"] is False for e in seen)


@pytest.mark.parametrize(
    "body",
    [
        MIDTERM | {"satisfaction": 0},
        MIDTERM | {"satisfaction": 6},
        MIDTERM | {"personal_click": 3.5},
        MIDTERM | {"personal_click": "3"},
        MIDTERM | {"confidence": True},
        {k: v for k, v in MIDTERM.items() if k != "different_types"},
        MIDTERM | {"comment": "x" * 1001},
        MIDTERM | {"outcomes_reached": []},
        MIDTERM | {"kind": "intake"},
        {k: v for k, v in MIDTERM.items() if k != "kind"},
        FINAL | {"kind": "midterm"},
        FINAL | {"outcomes_reached": ["fame"]},
        FINAL | {"hours_spent": 501},
        FINAL | {"hours_spent": -1},
        FINAL | {"will_continue": "perhaps"},
        FINAL | {"expectations_met": 0},
        FINAL | {"continue_form": "x" * 501},
        {},
    ],
)
def test_evaluation_rejects_bad_input_and_writes_nothing(client, db, active_pair, body):
    teacher, _, match = active_pair
    before = snapshot(db)
    assert_problem(
        client.post(url(match["id"], "evaluations"), json=body, headers=teacher.headers), 422
    )
    assert snapshot(db) == before


def test_evaluations_follow_the_lifecycle(client, db, pair):
    teacher, pro, match = pair
    # A final evaluation needs the trajectory to have started for real.
    before = snapshot(db)
    assert_problem(
        client.post(url(match["id"], "evaluations"), json=FINAL, headers=teacher.headers), 409
    )
    assert snapshot(db) == before
    assert (
        client.post(url(match["id"], "evaluations"), json=MIDTERM, headers=pro.headers).status_code
        == 201
    )
    assert client.post(f"{API}/matches/{match['id']}/exit", headers=pro.headers).status_code == 200
    before = snapshot(db)
    for body in (MIDTERM, FINAL):
        assert_problem(
            client.post(url(match["id"], "evaluations"), json=body, headers=teacher.headers), 409
        )
    assert snapshot(db) == before


def test_both_final_evaluations_complete_the_match(client, db, make_participant, active_pair):
    teacher, pro, match = active_pair
    first = client.post(url(match["id"], "evaluations"), json=FINAL, headers=teacher.headers)
    assert first.status_code == 201, first.text
    assert (
        client.get(f"{API}/matches/{match['id']}", headers=teacher.headers).json()["status"]
        == "active"
    )

    second = client.post(
        url(match["id"], "evaluations"),
        json=FINAL | {"will_continue": "maybe", "outcomes_reached": []},
        headers=pro.headers,
    )
    assert second.status_code == 201, second.text
    for who in (teacher, pro):
        assert (
            client.get(f"{API}/matches/{match['id']}", headers=who.headers).json()["status"]
            == "completed"
        )
    db.rollback()
    stored = db.get(Match, match["id"])
    assert stored is not None and stored.status == "completed" and stored.completed_at is not None

    # A completed trajectory takes no more meetings, midterms or plan changes, and frees both.
    assert_problem(log(client, teacher, match["id"]), 409)
    assert_problem(
        client.post(url(match["id"], "evaluations"), json=MIDTERM, headers=pro.headers), 409
    )
    assert_problem(
        client.post(url(match["id"], "evaluations"), json=FINAL, headers=pro.headers), 409
    )
    assert mutual_match(client, teacher, make_participant("professional"))["status"] == "trial"


def test_final_evaluation_after_the_planned_end(client, db, active_pair):
    teacher, pro, match = active_pair
    clock.advance(timedelta(days=200))
    relogin(client, teacher, pro)
    assert (
        client.get(f"{API}/matches/{match['id']}", headers=pro.headers).json()["status"]
        == "completed"
    )
    for who in (teacher, pro):
        filed = client.post(url(match["id"], "evaluations"), json=FINAL, headers=who.headers)
        assert filed.status_code == 201, filed.text
    db.rollback()
    stored = db.get(Match, match["id"])
    assert stored is not None and stored.status == "completed"
    assert clock.as_utc(stored.completed_at) == clock.as_utc(stored.ends_at)


# --- who may reach a trajectory ----------------------------------------------------------------


def every_route(match_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    plan = plan_body(today())
    meeting = {"date": today().isoformat(), "hours": 2, "activity": "sparring"}
    return [
        ("GET", url(match_id, "plan"), None),
        ("PUT", url(match_id, "plan"), plan),
        ("GET", url(match_id, "meetings"), None),
        ("POST", url(match_id, "meetings"), meeting),
        ("GET", url(match_id, "progress"), None),
        ("GET", url(match_id, "evaluations"), None),
        ("POST", url(match_id, "evaluations"), MIDTERM),
    ]


def test_strangers_and_other_regions_get_404_everywhere(
    client, db, make_participant, make_staff, pair
):
    teacher, _, match = pair
    assert log(client, teacher, match["id"]).status_code == 201
    stranger_teacher = make_participant("teacher")
    stranger_pro = make_participant("professional")
    elsewhere = make_staff("coordinator", regions=["amsterdam"])
    before = snapshot(db)
    for who in (stranger_teacher, stranger_pro, elsewhere):
        for method, path, body in every_route(match["id"]):
            response = client.request(method, path, json=body, headers=who.headers)
            assert_problem(response, 404)
            assert "workplace_visit" not in response.text
    # Invalid bodies do not tell strangers anything either.
    assert_problem(
        client.post(url(match["id"], "meetings"), json={"hours": 99}, headers=stranger_pro.headers),
        404,
    )
    for impossible in (999_999, 0, 2**31, 10**20):
        for method, path, body in every_route(impossible):
            assert_problem(client.request(method, path, json=body, headers=teacher.headers), 404)
    assert snapshot(db) == before


def test_without_a_token_every_route_is_401(client, pair):
    _, _, match = pair
    for method, path, body in every_route(match["id"]):
        response = client.request(method, path, json=body)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


def test_coordinators_of_the_region_read_but_never_write(client, db, make_staff, pair):
    teacher, _, match = pair
    assert log(client, teacher, match["id"], note="Lessen bijgewoond").status_code == 201
    coordinator = make_staff("coordinator", regions=["rotterdam", "den-haag"])
    admin = make_staff("admin")
    before = snapshot(db)
    for who in (coordinator, admin):
        for method, path, body in every_route(match["id"]):
            response = client.request(method, path, json=body, headers=who.headers)
            if method == "GET":
                assert response.status_code == 200, (path, response.text)
            else:
                assert_problem(response, 403)
        plan = client.get(url(match["id"], "plan"), headers=who.headers).json()
        assert plan["my_goals"] is None and plan["partner_goals"] is None
        assert plan["teacher_goals"] == COMPLETE_PROFILE["teacher"]["goals"]
        meetings = client.get(url(match["id"], "meetings"), headers=who.headers).json()["items"]
        assert meetings[0]["note"] == "Lessen bijgewoond" and meetings[0]["logged_by_me"] is False
        # A bad body still answers 403: the role decides first.
        assert_problem(client.put(url(match["id"], "plan"), json={}, headers=who.headers), 403)
    assert snapshot(db) == before


# --- my data ------------------------------------------------------------------------------------


def test_export_has_meetings_and_my_own_evaluations_never_the_partners(client, active_pair):
    teacher, pro, match = active_pair
    assert log(client, teacher, match["id"], note="Mijn notitie").status_code == 201
    assert log(client, pro, match["id"], note="Notitie van de partner", hours=3).status_code == 201
    secret = MIDTERM | {"comment": "Alleen voor mij en de coördinator"}
    for who, body in ((teacher, MIDTERM), (pro, secret)):
        filed = client.post(url(match["id"], "evaluations"), json=body, headers=who.headers)
        assert filed.status_code == 201, filed.text

    response = client.get(f"{API}/me/export", headers=teacher.headers)
    assert response.status_code == 200, response.text
    export = response.json()
    meetings = sorted(export["meetings"], key=lambda m: m["hours"])
    assert [(m["hours"], m["logged_by_me"]) for m in meetings] == [(2.0, True), (3.0, False)]
    assert meetings[0]["note"] == "Mijn notitie" and meetings[1]["note"] is None
    assert [(e["kind"], e["answers"]["comment"]) for e in export["evaluations"]] == [
        ("midterm", MIDTERM["comment"])
    ]
    assert "Alleen voor mij" not in response.text and "Notitie van de partner" not in response.text


def test_erasing_my_account_erases_my_answers_and_notes(client, db, active_pair):
    teacher, pro, match = active_pair
    assert log(client, teacher, match["id"], note="Mijn notitie").status_code == 201
    filed = client.post(url(match["id"], "evaluations"), json=MIDTERM, headers=teacher.headers)
    assert filed.status_code == 201, filed.text
    assert client.delete(f"{API}/me", headers=teacher.headers).status_code == 204

    db.rollback()
    [evaluation] = db.scalars(select(Evaluation)).all()
    assert evaluation.answers == {}
    [meeting] = db.scalars(select(Meeting)).all()
    assert meeting.note is None and meeting.hours == 2.0
    # The partner keeps the history: the hours, and that an evaluation was filed.
    seen = evaluations(client, pro, match["id"])
    assert next(e for e in seen if e["author_id"] == teacher.id and e["kind"] == "midterm")["filed"]
    assert client.get(url(match["id"], "progress"), headers=pro.headers).json()["hours_logged"] == 2
