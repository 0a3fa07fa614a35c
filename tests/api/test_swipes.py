"""POST/DELETE /api/v1/swipes and POST /api/v1/blocks."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app import clock
from app.config import get_settings
from app.main import create_app
from app.models import Block, Match, Swipe
from tests.conftest import API, Person, login, mutual_match
from tests.utils import assert_problem, count_rows, feed_ids, post_swipe


def notifications(client: TestClient, who: Person) -> list[dict[str, Any]]:
    response = client.get(f"{API}/notifications", params={"limit": 100}, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- like / pass ---------------------------------------------------------------------------


def test_first_swipe_201_and_identical_retry_200(client, db, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")

    first = post_swipe(client, teacher, pro.id, "like")
    assert first.status_code == 201, first.text
    assert first.json() == {"target_id": pro.id, "decision": "like", "match": None}

    again = post_swipe(client, teacher, pro.id, "like")
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    # On PostgreSQL the first answer is written by the hot path itself, the retry's by FastAPI
    # from the response model: the same bytes.
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert count_rows(db, Swipe) == 1


def test_pass_then_retry_then_like_is_409(client, db, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")

    first = post_swipe(client, teacher, pro.id, "pass")
    assert first.status_code == 201, first.text
    assert first.json() == {"target_id": pro.id, "decision": "pass", "match": None}
    assert post_swipe(client, teacher, pro.id, "pass").json() == first.json()

    assert_problem(post_swipe(client, teacher, pro.id, "like"), 409)
    db.rollback()
    stored = db.scalars(select(Swipe)).all()
    assert [(s.swiper_id, s.target_id, s.decision) for s in stored] == [
        (teacher.id, pro.id, "pass")
    ]


def test_like_then_pass_is_409(client, db, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    assert post_swipe(client, teacher, pro.id, "like").status_code == 201
    assert_problem(post_swipe(client, teacher, pro.id, "pass"), 409)
    assert count_rows(db, Swipe, Swipe.decision == "like") == 1
    assert count_rows(db, Swipe) == 1


def test_mutual_like_creates_exactly_one_match(client, db, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")

    first = post_swipe(client, teacher, pro.id)
    assert first.status_code == 201 and first.json()["match"] is None
    second = post_swipe(client, pro, teacher.id)
    assert second.status_code == 201, second.text
    match = second.json()["match"]
    assert match is not None
    assert match["status"] == "trial"
    assert match["origin"] == "mutual_like"
    assert match["partner"]["id"] == teacher.id
    assert match["confirmed_by_me"] is False and match["confirmed_by_partner"] is False
    assert match["ended_at"] is None

    assert count_rows(db, Match) == 1
    db.rollback()
    stored = db.scalars(select(Match)).one()
    assert (stored.teacher_id, stored.professional_id) == (teacher.id, pro.id)
    assert stored.id == match["id"]

    # The mobile retry of the second like gets the very same answer, and still one match.
    retry = post_swipe(client, pro, teacher.id)
    assert retry.status_code == 200, retry.text
    assert retry.json() == second.json()
    assert count_rows(db, Match) == 1
    assert count_rows(db, Swipe) == 2

    # Both see it in their list.
    for who in (teacher, pro):
        listed = client.get(f"{API}/matches", headers=who.headers).json()["items"]
        assert [m["id"] for m in listed] == [match["id"]]


def test_like_on_someone_who_passed_me_makes_no_match(client, db, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    assert post_swipe(client, pro, teacher.id, "pass").status_code == 201
    response = post_swipe(client, teacher, pro.id, "like")
    assert response.status_code == 201
    assert response.json()["match"] is None
    assert count_rows(db, Match) == 0


# --- rejected swipes store nothing ------------------------------------------------------------


def _target(case: str, client: TestClient, me: Person, make_participant, make_staff) -> int:
    if case == "myself":
        return me.id
    if case == "same side":
        return make_participant("teacher").id
    if case == "unknown":
        return 999_999
    if case == "not discoverable":
        paused = make_participant("professional")
        patched = client.patch(
            f"{API}/me/profile", json={"discoverable": False}, headers=paused.headers
        )
        assert patched.status_code == 200
        return paused.id
    if case == "no profile":
        return make_participant("professional", profile=False).id
    if case == "blocked by me":
        other = make_participant("professional")
        blocked = client.post(f"{API}/blocks", json={"user_id": other.id}, headers=me.headers)
        assert blocked.status_code == 201
        return other.id
    if case == "blocked me":
        other = make_participant("professional")
        blocked = client.post(f"{API}/blocks", json={"user_id": me.id}, headers=other.headers)
        assert blocked.status_code == 201
        return other.id
    if case == "coordinator":
        return make_staff("coordinator", regions=["rotterdam"]).id
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("myself", 422),
        ("same side", 422),
        ("unknown", 404),
        ("not discoverable", 404),
        ("no profile", 404),
        ("blocked by me", 404),
        ("blocked me", 404),
        ("coordinator", 404),
    ],
)
@pytest.mark.parametrize("decision", ["like", "pass"])
def test_rejected_swipe_stores_nothing(
    client, db, make_participant, make_staff, case, status, decision
):
    me = make_participant("teacher")
    target_id = _target(case, client, me, make_participant, make_staff)

    response = post_swipe(client, me, target_id, decision)

    assert_problem(response, status)
    assert count_rows(db, Swipe) == 0
    assert count_rows(db, Match) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "maybe"},
        {"decision": "LIKE"},
        {"decision": None},
        {"extra": "field"},
        {"target_id": "abc"},
        {"target_id": 0},
    ],
)
def test_invalid_swipe_body_is_422_and_stores_nothing(client, db, make_participant, body):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    payload = {"target_id": pro.id, "decision": "like"} | body
    response = client.post(f"{API}/swipes", json=payload, headers=teacher.headers)
    assert_problem(response, 422)
    assert response.json()["errors"]
    assert count_rows(db, Swipe) == 0


def test_swipe_needs_my_complete_profile(client, db, make_participant):
    teacher = make_participant("teacher", profile=False)
    pro = make_participant("professional")
    assert_problem(post_swipe(client, teacher, pro.id), 409)
    assert count_rows(db, Swipe) == 0


def test_coordinator_cannot_swipe(client, db, make_participant, make_staff):
    coordinator = make_staff("coordinator", regions=["rotterdam"])
    pro = make_participant("professional")
    assert_problem(post_swipe(client, coordinator, pro.id), 403)
    assert count_rows(db, Swipe) == 0


# --- undo ---------------------------------------------------------------------------------------


def test_undo_swipe_puts_the_person_back_in_my_feed(client, db, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    assert post_swipe(client, teacher, pro.id, "pass").status_code == 201
    assert pro.id not in feed_ids(client, teacher)

    response = client.delete(f"{API}/swipes/{pro.id}", headers=teacher.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert count_rows(db, Swipe) == 0
    assert pro.id in feed_ids(client, teacher)

    # The slate is clean: the other decision is now a fresh swipe.
    assert post_swipe(client, teacher, pro.id, "like").status_code == 201


def test_undo_of_a_like_that_made_a_match_is_409(client, db, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)

    for who, target in ((teacher, pro), (pro, teacher)):
        assert_problem(client.delete(f"{API}/swipes/{target.id}", headers=who.headers), 409)
    assert count_rows(db, Swipe) == 2
    assert count_rows(db, Match) == 1
    shown = client.get(f"{API}/matches/{match['id']}", headers=teacher.headers)
    assert shown.status_code == 200 and shown.json()["status"] == "trial"


def test_undo_of_unknown_swipe_is_404(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    assert_problem(client.delete(f"{API}/swipes/{pro.id}", headers=teacher.headers), 404)
    assert_problem(client.delete(f"{API}/swipes/999999", headers=teacher.headers), 404)
    # Ids that cannot exist never reach the database (no 500 from an integer overflow).
    for impossible in (0, -1, 2**31, 10**20):
        assert_problem(client.delete(f"{API}/swipes/{impossible}", headers=teacher.headers), 404)
        assert_problem(client.delete(f"{API}/blocks/{impossible}", headers=teacher.headers), 404)
    # Someone else's swipe on that person is not mine to undo.
    other = make_participant("teacher")
    assert post_swipe(client, other, pro.id).status_code == 201
    assert_problem(client.delete(f"{API}/swipes/{pro.id}", headers=teacher.headers), 404)


# --- the ongoing-match limit ------------------------------------------------------------------


def test_like_beyond_the_ongoing_limit_stays_a_like(client, db, make_participant):
    teacher = make_participant("teacher")
    first_pro = make_participant("professional")
    second_pro = make_participant("professional")
    existing = mutual_match(client, teacher, first_pro)

    from_pro = post_swipe(client, second_pro, teacher.id)
    assert from_pro.status_code == 201, from_pro.text
    assert from_pro.json()["match"] is None
    from_teacher = post_swipe(client, teacher, second_pro.id)
    assert from_teacher.status_code == 201, from_teacher.text
    assert from_teacher.json()["match"] is None

    assert count_rows(db, Match) == 1
    assert count_rows(db, Swipe, Swipe.decision == "like") == 4
    ongoing = [
        m
        for m in client.get(f"{API}/matches", headers=teacher.headers).json()["items"]
        if m["status"] in ("trial", "active")
    ]
    assert [m["id"] for m in ongoing] == [existing["id"]]
    assert client.get(f"{API}/matches", headers=second_pro.headers).json()["items"] == []
    # The retry also says: no match.
    retry = post_swipe(client, teacher, second_pro.id)
    assert retry.status_code == 200 and retry.json()["match"] is None


# --- blocks -------------------------------------------------------------------------------------


def test_block_201_then_repeat_200(client, db, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")

    first = client.post(f"{API}/blocks", json={"user_id": pro.id}, headers=teacher.headers)
    assert first.status_code == 201, first.text
    assert first.json()["user_id"] == pro.id
    assert first.json()["created_at"]

    again = client.post(f"{API}/blocks", json={"user_id": pro.id}, headers=teacher.headers)
    assert again.status_code == 200, again.text
    assert again.json()["user_id"] == pro.id
    assert count_rows(db, Block) == 1

    # We no longer see each other.
    assert pro.id not in feed_ids(client, teacher)
    assert teacher.id not in feed_ids(client, pro)
    assert client.get(f"{API}/profiles/{pro.id}", headers=teacher.headers).status_code == 404
    assert client.get(f"{API}/profiles/{teacher.id}", headers=pro.headers).status_code == 404


def test_block_myself_422_unknown_404(client, db, make_participant, make_staff):
    teacher = make_participant("teacher")
    coordinator = make_staff("coordinator", regions=["rotterdam"])
    response = client.post(f"{API}/blocks", json={"user_id": teacher.id}, headers=teacher.headers)
    assert_problem(response, 422)
    for unknown in (999_999, coordinator.id):
        response = client.post(f"{API}/blocks", json={"user_id": unknown}, headers=teacher.headers)
        assert_problem(response, 404)
    response = client.post(
        f"{API}/blocks", json={"user_id": teacher.id + 1, "extra": 1}, headers=teacher.headers
    )
    assert_problem(response, 422)
    assert count_rows(db, Block) == 0


def test_blocking_a_partner_ends_the_match_neutrally(client, db, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)

    response = client.post(f"{API}/blocks", json={"user_id": pro.id}, headers=teacher.headers)
    assert response.status_code == 201, response.text

    seen_by_pro = client.get(f"{API}/matches/{match['id']}", headers=pro.headers)
    assert seen_by_pro.status_code == 200, seen_by_pro.text
    assert seen_by_pro.json()["status"] == "ended"
    assert seen_by_pro.json()["ended_at"] is not None
    mine = client.get(f"{API}/matches/{match['id']}", headers=teacher.headers).json()
    assert mine["status"] == "ended"

    ended = [n for n in notifications(client, pro) if n["type"] == "match_ended"]
    assert len(ended) == 1
    assert ended[0]["data"]["match_id"] == match["id"]
    assert "reason" not in ended[0]["data"] and "note" not in ended[0]["data"]
    pro_text = str(notifications(client, pro)) + seen_by_pro.text
    assert "block" not in pro_text.lower()
    # The blocker is not notified of their own action.
    assert not [n for n in notifications(client, teacher) if n["type"] == "match_ended"]

    # The limit is freed for both: each can match someone new.
    new_pro = make_participant("professional")
    new_teacher = make_participant("teacher")
    assert mutual_match(client, teacher, new_pro)["status"] == "trial"
    assert mutual_match(client, new_teacher, pro)["status"] == "trial"
    assert count_rows(db, Match) == 3


def test_the_ongoing_limit_follows_the_setting(client, db, make_participant, monkeypatch):
    monkeypatch.setenv("MAX_ONGOING_MATCHES", "2")
    get_settings.cache_clear()
    teacher = make_participant("teacher")
    pros = [make_participant("professional") for _ in range(3)]
    onlooker = make_participant("teacher")

    assert mutual_match(client, teacher, pros[0])["status"] == "trial"
    assert teacher.id in feed_ids(client, pros[2])  # one match, room for another
    assert mutual_match(client, teacher, pros[1])["status"] == "trial"
    assert teacher.id not in feed_ids(client, pros[2])  # now at the limit
    assert pros[0].id in feed_ids(client, onlooker)  # pros[0] still has room

    assert post_swipe(client, pros[2], teacher.id).status_code == 201
    third = post_swipe(client, teacher, pros[2].id)
    assert third.status_code == 201 and third.json()["match"] is None
    assert count_rows(db, Match) == 2


@pytest.mark.parametrize("path", ["as_served", "general"])
def test_undo_does_not_give_back_the_days_likes(client, db, make_participant, monkeypatch, path):
    """LIKES_PER_DAY counts likes made today: like and undo the same person, and the likes
    run out all the same. `as_served` takes the one-round-trip path on PostgreSQL; `general`
    is an app served without its lifespan (no fast-path pool), so `swiping.swipe` decides."""
    monkeypatch.setenv("LIKES_PER_DAY", "3")
    get_settings.cache_clear()
    teacher, pro = make_participant("teacher"), make_participant("professional")
    general = TestClient(create_app(), raise_server_exceptions=False)  # not entered: no lifespan
    http = client if path == "as_served" else general
    like = {"target_id": pro.id, "decision": "like"}
    for _ in range(3):
        assert http.post(f"{API}/swipes", json=like, headers=teacher.headers).status_code == 201
        assert http.delete(f"{API}/swipes/{pro.id}", headers=teacher.headers).status_code == 204
    refused = http.post(f"{API}/swipes", json=like, headers=teacher.headers)
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Swipe)) == 0  # nothing stored
    # Another person, too: it is the likes made that count, not whom they were for.
    other = make_participant("professional")
    again = http.post(
        f"{API}/swipes", json={"target_id": other.id, "decision": "like"}, headers=teacher.headers
    )
    assert again.status_code == 429
    # Passes are not limited; and tomorrow the likes are back.
    passed = http.post(f"{API}/swipes", json=like | {"decision": "pass"}, headers=teacher.headers)
    assert passed.status_code == 201
    clock.advance(timedelta(days=1))
    teacher.headers = {"Authorization": f"Bearer {login(http, teacher.email)['access_token']}"}
    tomorrow = http.post(
        f"{API}/swipes", json={"target_id": other.id, "decision": "like"}, headers=teacher.headers
    )
    assert tomorrow.status_code == 201, tomorrow.text
