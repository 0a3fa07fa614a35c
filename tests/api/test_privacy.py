"""AVG: export everything about me (and nothing about others); erase my account."""

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import or_, select
from sqlmodel import Session

from app import clock
from app.models import DailyLikes, Profile, RefreshToken, Swipe, User
from tests.conftest import API, PASSWORD, mutual_match

ME = f"{API}/me"
EXPORT = f"{API}/me/export"
FORMER = "former participant"


def fresh(db: Session) -> Session:
    db.rollback()  # end the earlier read so this one sees what the requests committed
    return db


def timestamps(value: Any, key: str = "") -> list[str]:
    """Every value under a key ending in `_at` anywhere in a JSON document."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in timestamps(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in timestamps(v, key)]
    return [value] if key.endswith("_at") and isinstance(value, str) else []


@pytest.fixture
def pair(client, make_participant):  # type: ignore[no-untyped-def]
    """A teacher and a professional in a trial match, plus a like on a third person."""
    teacher = make_participant("teacher", bio="Mijn eigen bio")
    pro = make_participant("professional", name="Pieter Prof")
    other = make_participant("professional")
    liked = client.post(
        f"{API}/swipes", json={"target_id": other.id, "decision": "pass"}, headers=teacher.headers
    )
    assert liked.status_code == 201, liked.text
    match = mutual_match(client, teacher, pro)
    return teacher, pro, other, match


# --- export ----------------------------------------------------------------------------------


def test_export_holds_my_profile_swipes_matches_and_notifications(client, pair):
    teacher, pro, other, match = pair
    response = client.get(EXPORT, headers=teacher.headers)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["account"]["email"] == teacher.email
    assert data["account"]["id"] == teacher.id
    assert data["profile"]["headline"] == "Docent natuurkunde"
    assert data["profile"]["bio"] == "Mijn eigen bio"
    assert data["profile"]["contact"]["email"] == "teacher.contact@example.org"  # mine
    assert {(s["target_id"], s["decision"]) for s in data["swipes"]} == {
        (other.id, "pass"),
        (pro.id, "like"),
    }
    assert [m["id"] for m in data["matches"]] == [match["id"]]
    assert data["matches"][0]["partner"]["id"] == pro.id
    assert data["matches"][0]["status"] == "trial"
    assert [n["type"] for n in data["notifications"]] == ["match_created"]
    assert data["likes_per_day"] == [{"day": clock.now().date().isoformat(), "likes": 1}]


def test_export_holds_nothing_private_of_the_partner(client, pair):
    teacher, pro, _, _ = pair
    text = client.get(EXPORT, headers=teacher.headers).text
    for secret in (pro.email, "pro.contact@example.org", "22222222", PASSWORD, "argon2"):
        assert secret not in text
    assert "password" not in text


def test_export_has_no_one_elses_swipes(client, pair):
    teacher, pro, _, _ = pair
    swipes = client.get(EXPORT, headers=pro.headers).json()["swipes"]
    assert [(s["target_id"], s["decision"]) for s in swipes] == [(teacher.id, "like")]


def test_export_times_are_iso_8601_with_timezone(client, pair):
    teacher, _, _, _ = pair
    data = client.get(EXPORT, headers=teacher.headers).json()
    found = timestamps(data)
    assert len(found) >= 5  # account, profile, swipes, match, notification
    for value in found:
        moment = datetime.fromisoformat(value)
        assert moment.tzinfo is not None and moment.utcoffset().total_seconds() == 0, value


def test_export_needs_a_token(client):
    assert client.get(EXPORT).status_code == 401


# --- erasure ---------------------------------------------------------------------------------


def test_delete_me_ends_login_tokens_and_personal_data(client, db, pair):
    teacher, pro, _, _ = pair
    response = client.delete(ME, headers=pro.headers)
    assert response.status_code == 204
    assert response.content == b""

    login = client.post(f"{API}/auth/token", data={"username": pro.email, "password": PASSWORD})
    assert login.status_code == 401
    assert client.get(ME, headers=pro.headers).status_code == 401
    assert client.get(EXPORT, headers=pro.headers).status_code == 401
    refresh = client.post(f"{API}/auth/refresh", json={"refresh_token": pro.refresh_token})
    assert refresh.status_code == 401
    assert client.delete(ME, headers=pro.headers).status_code == 401

    db = fresh(db)
    user = db.get(User, pro.id)
    assert user is not None
    assert user.email is None and user.password_hash is None and user.name == FORMER
    assert db.get(Profile, pro.id) is None
    assert not db.scalars(select(RefreshToken).where(RefreshToken.user_id == pro.id)).all()
    mine = or_(Swipe.swiper_id == pro.id, Swipe.target_id == pro.id)  # type: ignore[arg-type]
    assert not db.scalars(select(Swipe).where(mine)).all()
    assert not db.scalars(select(DailyLikes).where(DailyLikes.user_id == pro.id)).all()


def test_partner_sees_a_former_participant_and_an_ended_match(client, pair):
    teacher, pro, _, match = pair
    assert client.delete(ME, headers=pro.headers).status_code == 204

    matches = client.get(f"{API}/matches", headers=teacher.headers)
    assert matches.status_code == 200
    [seen] = matches.json()["items"]
    assert seen["id"] == match["id"]
    assert seen["status"] == "ended"
    assert seen["ended_at"] is not None
    assert seen["partner"]["name"] == FORMER
    assert seen["partner"].get("contact") is None
    for secret in ("Pieter Prof", pro.email, "pro.contact@example.org"):
        assert secret not in matches.text
    single = client.get(f"{API}/matches/{match['id']}", headers=teacher.headers).json()
    assert single["partner"]["name"] == FORMER and single["status"] == "ended"
    assert client.get(f"{API}/profiles/{pro.id}", headers=teacher.headers).status_code == 404


def test_partner_is_told_neutrally_that_the_match_ended(client, pair):
    teacher, pro, _, match = pair
    assert client.delete(ME, headers=pro.headers).status_code == 204
    notes = client.get(f"{API}/notifications", headers=teacher.headers).json()["items"]
    ended = [n for n in notes if n["type"] == "match_ended"]
    assert [n["data"]["match_id"] for n in ended] == [match["id"]]
    assert "account_deleted" not in str(ended)


def test_partner_notifications_no_longer_name_the_erased_person(client, pair):
    teacher, pro, _, _ = pair
    before = client.get(f"{API}/notifications", headers=teacher.headers).text
    assert "Pieter Prof" in before  # the match_created notice named the partner
    assert client.delete(ME, headers=pro.headers).status_code == 204
    after = client.get(f"{API}/notifications", headers=teacher.headers)
    assert "Pieter Prof" not in after.text
    assert "Pieter Prof" not in client.get(EXPORT, headers=teacher.headers).text


def test_erased_person_leaves_every_feed(client, make_participant):
    teacher = make_participant("teacher")
    leaving = make_participant("professional")
    staying = make_participant("professional")

    def feed_ids() -> set[int]:
        response = client.get(f"{API}/feed", headers=teacher.headers)
        assert response.status_code == 200, response.text
        return {item["profile"]["id"] for item in response.json()["items"]}

    assert feed_ids() == {leaving.id, staying.id}
    assert client.delete(ME, headers=leaving.headers).status_code == 204
    assert feed_ids() == {staying.id}
    swipe = client.post(
        f"{API}/swipes", json={"target_id": leaving.id, "decision": "like"}, headers=teacher.headers
    )
    assert swipe.status_code == 404


def test_the_email_can_register_again_as_a_new_account(client, pair):
    teacher, pro, _, _ = pair
    assert client.delete(ME, headers=pro.headers).status_code == 204
    again = client.post(
        f"{API}/auth/register",
        json={"email": pro.email, "password": PASSWORD, "name": "Pieter", "side": "teacher"},
    )
    assert again.status_code == 201, again.text
    assert again.json()["id"] != pro.id
    tokens = client.post(
        f"{API}/auth/token", data={"username": pro.email, "password": PASSWORD}
    ).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = client.get(ME, headers=headers).json()
    assert me["side"] == "teacher" and me["profile"] is None
    assert client.get(f"{API}/matches", headers=headers).json()["items"] == []  # nothing inherited


def test_staff_can_erase_their_account_too(client, make_staff):
    staff = make_staff("coordinator", ["rotterdam"])
    assert client.delete(ME, headers=staff.headers).status_code == 204
    assert client.get(ME, headers=staff.headers).status_code == 401
