"""Login sessions: listing and ending them, logout, change password, concurrent-refresh grace,
common passwords. (Across processes: tests/test_sessions_live.py.)"""

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.models import LoginSession, RefreshToken, User
from app.passwords import TOO_COMMON
from tests.api.test_accounts import assert_unauthorized, bearer
from tests.conftest import API, PASSWORD
from tests.utils import assert_problem, count_rows

TOKEN = f"{API}/auth/token"
REFRESH = f"{API}/auth/refresh"
LOGOUT = f"{API}/auth/logout"
ME = f"{API}/me"
SESSIONS = f"{API}/me/sessions"
PASSWORD_URL = f"{API}/me/password"
NEW_PASSWORD = "een-heel-nieuw-wachtwoord"


def log_in(client, email, password=PASSWORD, **extra):  # type: ignore[no-untyped-def]
    headers = extra.pop("headers", {})
    response = client.post(
        TOKEN, data={"username": email, "password": password, **extra}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def refresh(client, token):  # type: ignore[no-untyped-def]
    return client.post(REFRESH, json={"refresh_token": token})


# --- GET /me/sessions ------------------------------------------------------------------------


def test_sessions_list_my_logins_with_device_and_user_agent(client, make_participant):
    person = make_participant("teacher", profile=False)
    phone = log_in(
        client, person.email, device_name="  Fatima's telefoon ", headers={"User-Agent": "App/2.1"}
    )
    listed = client.get(SESSIONS, headers=bearer(phone["access_token"]))
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert len(items) == 2  # the fixture's login and this one
    newest, first = items
    assert newest["device_name"] == "Fatima's telefoon"
    assert newest["user_agent"] == "App/2.1"
    assert newest["current"] is True and first["current"] is False
    assert first["device_name"] is None
    assert newest["created_at"].endswith(("Z", "+00:00")) and newest["last_used_at"]
    assert listed.json()["next_cursor"] is None
    # The other login sees the same two sessions, with itself as the current one.
    mine = client.get(SESSIONS, headers=person.headers).json()["items"]
    assert [s["id"] for s in mine] == [newest["id"], first["id"]]
    assert [s["current"] for s in mine] == [False, True]


def test_sessions_are_paginated(client, make_participant):
    person = make_participant("teacher", profile=False)
    for n in range(2):
        clock.advance(timedelta(seconds=1))
        log_in(client, person.email, device_name=f"device {n}")
    first = client.get(SESSIONS, params={"limit": 2}, headers=person.headers).json()
    assert [s["device_name"] for s in first["items"]] == ["device 1", "device 0"]
    second = client.get(
        SESSIONS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=person.headers
    ).json()
    assert [s["current"] for s in second["items"]] == [True]
    assert second["next_cursor"] is None
    assert_problem(client.get(SESSIONS, params={"cursor": "bm9wZQ"}, headers=person.headers), 422)


def test_a_refresh_updates_last_used(client, make_participant):
    person = make_participant("teacher", profile=False)
    before = client.get(SESSIONS, headers=person.headers).json()["items"][0]
    clock.advance(timedelta(minutes=5))
    pair = refresh(client, person.refresh_token).json()
    after = client.get(SESSIONS, headers=bearer(pair["access_token"])).json()["items"][0]
    assert after["id"] == before["id"] and after["created_at"] == before["created_at"]
    assert after["last_used_at"] > before["last_used_at"]


def test_device_name_is_bounded(client, make_participant, db):
    person = make_participant("teacher", profile=False)
    response = client.post(
        TOKEN, data={"username": person.email, "password": PASSWORD, "device_name": "x" * 101}
    )
    assert_problem(response, 422)
    db.rollback()
    assert len(db.scalars(select(LoginSession).where(LoginSession.user_id == person.id)).all()) == 1


def test_sessions_need_a_token(client):
    assert_unauthorized(client.get(SESSIONS))
    assert_unauthorized(client.post(LOGOUT))


# --- logout and DELETE /me/sessions/{id} -----------------------------------------------------


def test_logout_ends_this_login_only(client, make_participant):
    person = make_participant("teacher", profile=False)
    other = log_in(client, person.email)
    assert client.post(LOGOUT, headers=person.headers).status_code == 204
    assert_unauthorized(client.get(ME, headers=person.headers))  # the access token, at once
    assert_unauthorized(refresh(client, person.refresh_token))  # and its refresh token
    assert_unauthorized(client.post(LOGOUT, headers=person.headers))
    # The other login is untouched and no longer lists the ended one.
    assert client.get(ME, headers=bearer(other["access_token"])).status_code == 200
    items = client.get(SESSIONS, headers=bearer(other["access_token"])).json()["items"]
    assert [s["current"] for s in items] == [True]
    assert refresh(client, other["refresh_token"]).status_code == 200


def test_deleting_one_of_my_sessions_logs_that_device_out(client, make_participant):
    person = make_participant("teacher", profile=False)
    laptop = log_in(client, person.email, device_name="laptop")
    items = client.get(SESSIONS, headers=person.headers).json()["items"]
    laptop_id = next(s["id"] for s in items if s["device_name"] == "laptop")
    assert client.delete(f"{SESSIONS}/{laptop_id}", headers=person.headers).status_code == 204
    assert_unauthorized(client.get(ME, headers=bearer(laptop["access_token"])))
    assert_unauthorized(refresh(client, laptop["refresh_token"]))
    assert client.get(ME, headers=person.headers).status_code == 200  # mine still works
    assert_problem(client.delete(f"{SESSIONS}/{laptop_id}", headers=person.headers), 404)


def test_someone_elses_session_is_404_and_stays(client, make_participant, db):
    owner = make_participant("teacher", profile=False)
    stranger = make_participant("professional", profile=False)
    owner_session = client.get(SESSIONS, headers=owner.headers).json()["items"][0]["id"]
    for session_id in (owner_session, "does-not-exist", "x" * 40):
        response = client.delete(f"{SESSIONS}/{session_id}", headers=stranger.headers)
        assert_problem(response, 404)
    assert client.get(ME, headers=owner.headers).status_code == 200
    assert refresh(client, owner.refresh_token).status_code == 200
    # The stranger's list never shows the owner's session.
    ids = [s["id"] for s in client.get(SESSIONS, headers=stranger.headers).json()["items"]]
    assert owner_session not in ids
    db.rollback()
    assert db.get(LoginSession, owner_session).revoked_at is None


def test_a_revoked_session_cannot_get_new_tokens_from_any_of_its_refresh_tokens(
    client, make_participant, db
):
    person = make_participant("teacher", profile=False)
    pair = refresh(client, person.refresh_token).json()
    assert client.post(LOGOUT, headers=bearer(pair["access_token"])).status_code == 204
    db.rollback()
    assert db.scalars(select(RefreshToken).where(RefreshToken.user_id == person.id)).all() == []
    assert_unauthorized(refresh(client, pair["refresh_token"]))
    assert_unauthorized(refresh(client, person.refresh_token))


def test_access_tokens_of_a_revoked_session_fail_on_the_hot_paths_too(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    assert client.get(f"{API}/feed", headers=teacher.headers).status_code == 200
    assert client.post(LOGOUT, headers=teacher.headers).status_code == 204
    assert_unauthorized(client.get(f"{API}/feed", headers=teacher.headers))
    swipe = {"target_id": pro.id, "decision": "like"}
    assert_unauthorized(client.post(f"{API}/swipes", json=swipe, headers=teacher.headers))


# --- concurrent refresh: the grace window ----------------------------------------------------


def test_the_same_refresh_token_twice_within_the_window_gives_the_same_pair(
    client, make_participant, db
):
    person = make_participant("teacher", profile=False)
    first = refresh(client, person.refresh_token)
    clock.advance(timedelta(seconds=29))
    second = refresh(client, person.refresh_token)
    assert first.status_code == second.status_code == 200, second.text
    assert second.json()["refresh_token"] == first.json()["refresh_token"]
    for pair in (first.json(), second.json()):
        assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200
    db.rollback()
    # One session, whose tokens are the used one and its single successor.
    assert count_rows(db, LoginSession) == 1
    assert len(db.scalars(select(RefreshToken)).all()) == 2
    # The successor works (once), and the login goes on.
    third = refresh(client, first.json()["refresh_token"])
    assert third.status_code == 200, third.text
    assert client.get(ME, headers=bearer(third.json()["access_token"])).status_code == 200


def test_reuse_after_the_window_revokes_the_login_and_its_access_tokens(client, make_participant):
    person = make_participant("teacher", profile=False)
    pair = refresh(client, person.refresh_token).json()
    clock.advance(timedelta(seconds=31))
    assert_unauthorized(refresh(client, person.refresh_token))
    assert_unauthorized(refresh(client, pair["refresh_token"]))
    assert_unauthorized(client.get(ME, headers=bearer(pair["access_token"])))
    assert_unauthorized(client.get(ME, headers=person.headers))
    assert client.get(SESSIONS, headers=person.headers).status_code == 401
    # Logging in again starts a new, working login.
    again = log_in(client, person.email)
    assert client.get(ME, headers=bearer(again["access_token"])).status_code == 200


def test_reuse_within_the_window_after_the_successor_was_used_revokes(client, make_participant):
    """Once the new refresh token has been used, its predecessor has nothing left to retry."""
    person = make_participant("teacher", profile=False)
    pair = refresh(client, person.refresh_token).json()
    newer = refresh(client, pair["refresh_token"])
    assert newer.status_code == 200
    assert_unauthorized(refresh(client, person.refresh_token))
    assert_unauthorized(refresh(client, newer.json()["refresh_token"]))
    assert_unauthorized(client.get(ME, headers=bearer(newer.json()["access_token"])))


def test_the_grace_window_does_not_outlive_the_session(client, make_participant):
    person = make_participant("teacher", profile=False)
    pair = refresh(client, person.refresh_token).json()
    assert client.post(LOGOUT, headers=bearer(pair["access_token"])).status_code == 204
    assert_unauthorized(refresh(client, person.refresh_token))


# --- change password -------------------------------------------------------------------------


def test_change_password_ends_my_other_sessions_only(client, make_participant, db):
    person = make_participant("teacher", profile=False)
    other = log_in(client, person.email)
    bystander = make_participant("teacher", profile=False)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post(PASSWORD_URL, json=body, headers=person.headers).status_code == 204
    assert client.get(ME, headers=person.headers).status_code == 200  # this session stays
    assert_unauthorized(client.get(ME, headers=bearer(other["access_token"])))
    assert_unauthorized(refresh(client, other["refresh_token"]))
    assert_unauthorized(client.post(TOKEN, data={"username": person.email, "password": PASSWORD}))
    log_in(client, person.email, NEW_PASSWORD)
    # Nobody else is touched.
    assert client.get(ME, headers=bystander.headers).status_code == 200
    log_in(client, bystander.email)


def test_change_password_with_a_wrong_current_password_changes_nothing(
    client, make_participant, db
):
    person = make_participant("teacher", profile=False)
    db.rollback()
    before = db.get(User, person.id).password_hash
    body = {"current_password": "not-my-password", "new_password": NEW_PASSWORD}
    response = client.post(PASSWORD_URL, json=body, headers=person.headers)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", "current_password"]
    db.rollback()
    assert db.get(User, person.id).password_hash == before
    log_in(client, person.email)


def test_change_password_wrong_current_is_limited_like_logins(client, make_participant):
    from app.config import get_settings

    person = make_participant("teacher", profile=False)
    limit = get_settings().login_failures_per_account
    body = {"current_password": "not-my-password", "new_password": NEW_PASSWORD}
    for _ in range(limit):
        assert client.post(PASSWORD_URL, json=body, headers=person.headers).status_code == 422
    blocked = client.post(PASSWORD_URL, json=body, headers=person.headers)
    assert_problem(blocked, 429)
    assert blocked.headers["retry-after"]


def test_change_password_refuses_a_common_new_password(client, make_participant, db):
    person = make_participant("teacher", profile=False)
    for common in ("password123", "Qwertyuiop", " wachtwoord123 "):
        body = {"current_password": PASSWORD, "new_password": common}
        problem = assert_problem(client.post(PASSWORD_URL, json=body, headers=person.headers), 422)
        assert problem["errors"][0]["loc"] == ["body", "new_password"]
        assert TOO_COMMON in problem["errors"][0]["msg"]
    log_in(client, person.email)  # unchanged


def test_change_password_needs_a_token(client):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert_unauthorized(client.post(PASSWORD_URL, json=body))


# --- common passwords at registration ----------------------------------------------------------


def test_register_refuses_a_common_password_with_a_clear_422(client, db):
    body = {"email": "anouk@example.org", "name": "Anouk", "side": "teacher"}
    for common in ("1234567890", "PASSWORD123", "qwertyuiop", "wachtwoord123"):
        response = client.post(f"{API}/auth/register", json=body | {"password": common})
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["body", "password"]
        assert TOO_COMMON in problem["errors"][0]["msg"]
    assert count_rows(db, User) == 0
    assert (
        client.post(f"{API}/auth/register", json=body | {"password": PASSWORD}).status_code == 201
    )


def test_the_common_password_list_is_shipped(db: Session):
    from app.passwords import common_passwords

    words = common_passwords()
    assert len(words) > 1700
    assert all(len(w) >= 10 for w in words)
    assert "1q2w3e4r5t" in words and "wachtwoord1" in words
    assert PASSWORD not in words and NEW_PASSWORD not in words


def test_my_export_lists_my_sessions_and_nobody_elses(client, make_participant):
    person = make_participant("teacher", profile=False)
    log_in(client, person.email, device_name="werk-laptop")
    other = make_participant("professional", profile=False)
    log_in(client, other.email, device_name="iemand anders")
    export = client.get(f"{API}/me/export", headers=person.headers).json()
    assert export["account"]["email_verified"] is True
    assert sorted(s["device_name"] or "" for s in export["sessions"]) == ["", "werk-laptop"]
