"""Accounts: register, log in, refresh, /me, and what any bad access token gets."""

import base64
import json
import os
from datetime import timedelta
from typing import Any

import pytest
from jose import jwt
from sqlalchemy import select

from app import clock
from app.models import Profile, RefreshToken, User
from tests.conftest import API, COMPLETE_PROFILE, PASSWORD, login
from tests.utils import assert_problem, count_rows

REGISTER = f"{API}/auth/register"
TOKEN = f"{API}/auth/token"
REFRESH = f"{API}/auth/refresh"
ME = f"{API}/me"


def register(client, email="fatima@example.org", password=PASSWORD, **extra):  # type: ignore[no-untyped-def]
    body = {"email": email, "password": password, "name": "Fatima El Amrani", "side": "teacher"}
    return client.post(REGISTER, json=body | extra)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(response) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    return body


# --- register --------------------------------------------------------------------------------


def test_register_creates_a_participant(client, db):
    response = register(client, side="professional")
    assert response.status_code == 201, response.text
    body = response.json()
    assert {"id", "email", "name", "role", "side"} <= body.keys()
    assert body["email"] == "fatima@example.org"
    assert body["name"] == "Fatima El Amrani"
    assert body["role"] == "participant"
    assert body["side"] == "professional"
    assert "password" not in response.text and PASSWORD not in response.text
    db.rollback()
    stored = db.get(User, body["id"])
    assert stored is not None and stored.role == "participant"
    assert stored.password_hash and PASSWORD not in stored.password_hash
    login(client, "fatima@example.org")


def test_register_password_of_exactly_ten_characters_is_enough(client):
    # ("0123456789" would be: it is one of the common passwords, refused since issue 13.)
    assert register(client, password="zeven-zes5").status_code == 201
    login(client, "fatima@example.org", "zeven-zes5")


@pytest.mark.parametrize(
    "second", ["fatima@example.org", "FATIMA@Example.ORG", "  Fatima@example.org "]
)
def test_register_taken_email_is_409_whatever_the_case(client, db, second):
    assert register(client).status_code == 201
    response = client.post(
        REGISTER,
        json={"email": second, "password": "another-password", "name": "B", "side": "professional"},
    )
    assert_problem(response, 409)
    assert count_rows(db, User) == 1
    login(client, "fatima@example.org")  # the first account is untouched
    assert (
        client.post(
            TOKEN, data={"username": "fatima@example.org", "password": "another-password"}
        ).status_code
        == 401
    )


def test_login_email_is_case_insensitive(client):
    assert register(client).status_code == 201
    login(client, "FATIMA@EXAMPLE.ORG")


VALID = {"email": "new@example.org", "password": PASSWORD, "name": "Nieuw", "side": "teacher"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "123456789"}, "password"),
        ({"password": ""}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "new@"}, "email"),
        ({"side": "student"}, "side"),
        ({"side": "coordinator"}, "side"),
        ({"side": None}, "side"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"email": None}, "email"),
    ],
    ids=lambda v: json.dumps(v)[:40] if isinstance(v, dict) else v,
)
def test_register_rejects_bad_input_and_writes_nothing(client, db, change, field):
    response = client.post(REGISTER, json=VALID | change)
    body = assert_problem(response, 422)
    assert body["errors"], body
    assert all({"loc", "msg", "type"} <= err.keys() for err in body["errors"])
    assert any(err["loc"][:2] == ["body", field] for err in body["errors"]), body
    assert count_rows(db, User) == 0
    bad_login = client.post(TOKEN, data={"username": VALID["email"], "password": PASSWORD})
    assert bad_login.status_code == 401


@pytest.mark.parametrize("missing", ["email", "password", "name", "side"])
def test_register_missing_field_is_422(client, db, missing):
    body = {k: v for k, v in VALID.items() if k != missing}
    problem = assert_problem(client.post(REGISTER, json=body), 422)
    assert any(err["loc"] == ["body", missing] for err in problem["errors"]), problem
    assert count_rows(db, User) == 0


def test_register_ignores_role_id_and_regions_in_the_body(client, db):
    response = register(client, role="admin", id=4242, regions=["rotterdam"], deleted_at=None)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["role"] == "participant"
    assert body["id"] != 4242
    assert body.get("regions", []) == []
    tokens = login(client, "fatima@example.org")
    me = client.get(ME, headers=bearer(tokens["access_token"])).json()
    assert me["role"] == "participant" and me["id"] == body["id"]
    assert me.get("regions", []) == []
    db.rollback()
    assert db.get(User, 4242) is None
    stored = db.get(User, body["id"])
    assert stored is not None and stored.role == "participant"
    # A participant can write a profile, which staff cannot: the account really is a participant.
    put = client.put(
        f"{API}/me/profile",
        json=COMPLETE_PROFILE["teacher"],
        headers=bearer(tokens["access_token"]),
    )
    assert put.status_code == 200, put.text


# --- token -----------------------------------------------------------------------------------


def test_token_answers_a_bearer_pair(client, make_participant):
    person = make_participant("teacher", profile=False)
    response = client.post(TOKEN, data={"username": person.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    assert body["access_token"] and body["refresh_token"]
    assert body["access_token"] != body["refresh_token"]
    me = client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == person.id


def test_unknown_email_and_wrong_password_get_the_same_401(client, make_participant):
    person = make_participant("teacher", profile=False)
    wrong_password = client.post(
        TOKEN, data={"username": person.email, "password": "wrong-password-123"}
    )
    unknown_email = client.post(
        TOKEN, data={"username": "nobody@example.org", "password": "wrong-password-123"}
    )
    first = assert_unauthorized(wrong_password)
    second = assert_unauthorized(unknown_email)
    assert first == second
    assert "access_token" not in wrong_password.text


def test_token_needs_form_fields(client):
    assert_problem(client.post(TOKEN, data={"username": "a@example.org"}), 422)
    assert_problem(
        client.post(TOKEN, json={"username": "a@example.org", "password": PASSWORD}), 422
    )


def test_login_stores_only_a_hash_of_the_refresh_token(client, db, make_participant):
    person = make_participant("teacher", profile=False)
    db.rollback()
    hashes = db.scalars(select(RefreshToken.token_hash)).all()
    assert hashes and person.refresh_token not in hashes


# --- refresh ---------------------------------------------------------------------------------


def test_refresh_gives_a_new_working_pair(client, make_participant):
    person = make_participant("teacher", profile=False)
    response = client.post(REFRESH, json={"refresh_token": person.refresh_token})
    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 30 * 60
    assert pair["refresh_token"] != person.refresh_token
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200
    again = client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 200, again.text


def test_a_used_refresh_token_is_refused(client, make_participant):
    person = make_participant("teacher", profile=False)
    assert client.post(REFRESH, json={"refresh_token": person.refresh_token}).status_code == 200
    clock.advance(timedelta(seconds=31))  # past the grace window (tests/api/test_sessions.py)
    assert_unauthorized(client.post(REFRESH, json={"refresh_token": person.refresh_token}))


def test_reusing_a_refresh_token_revokes_the_whole_login(client, make_participant):
    person = make_participant("teacher", profile=False)
    other_device = login(client, person.email)
    newer = client.post(REFRESH, json={"refresh_token": person.refresh_token}).json()
    clock.advance(timedelta(seconds=31))  # past the grace window
    # Someone replays the old token: the newer one from the same login stops working too ...
    assert_unauthorized(client.post(REFRESH, json={"refresh_token": person.refresh_token}))
    assert_unauthorized(client.post(REFRESH, json={"refresh_token": newer["refresh_token"]}))
    # ... and so do that login's access tokens, old and new.
    assert_unauthorized(client.get(ME, headers=person.headers))
    assert_unauthorized(client.get(ME, headers=bearer(newer["access_token"])))
    # ... but a separate login is not affected.
    separate = client.post(REFRESH, json={"refresh_token": other_device["refresh_token"]})
    assert separate.status_code == 200, separate.text


@pytest.mark.parametrize("token", ["garbage", "x" * 200])
def test_refresh_with_an_unknown_token_is_401(client, token):
    assert_unauthorized(client.post(REFRESH, json={"refresh_token": token}))


def test_refresh_with_an_expired_token_is_401(client, make_participant):
    person = make_participant("teacher", profile=False)
    clock.advance(timedelta(days=31))
    assert_unauthorized(client.post(REFRESH, json={"refresh_token": person.refresh_token}))


def test_refresh_body_is_validated(client):
    assert_problem(client.post(REFRESH, json={}), 422)
    assert_problem(client.post(REFRESH, json={"refresh_token": ""}), 422)


def test_an_access_token_is_not_a_refresh_token(client, make_participant):
    person = make_participant("teacher", profile=False)
    assert_unauthorized(client.post(REFRESH, json={"refresh_token": person.token[:200]}))


# --- /me -------------------------------------------------------------------------------------


def test_me_without_profile_then_with_full_own_profile(client, make_participant):
    person = make_participant("teacher", profile=False)
    before = client.get(ME, headers=person.headers)
    assert before.status_code == 200
    body = before.json()
    assert body["id"] == person.id
    assert body["email"] == person.email
    assert body["name"] == person.name
    assert body["role"] == "participant"
    assert body["side"] == "teacher"
    assert body["profile"] is None

    put = client.put(f"{API}/me/profile", json=COMPLETE_PROFILE["teacher"], headers=person.headers)
    assert put.status_code == 200, put.text
    profile = client.get(ME, headers=person.headers).json()["profile"]
    assert profile == put.json()
    assert profile["id"] == person.id
    assert profile["headline"] == "Docent natuurkunde"
    assert profile["contact"]["email"] == "teacher.contact@example.org"
    assert profile["complete"] is True and profile["missing"] == []
    assert {"weights", "manager_approval", "confidentiality", "discoverable"} <= profile.keys()


def test_me_for_a_coordinator(client, make_staff, db):
    staff = make_staff("coordinator", ["rotterdam", "den-haag"])
    body = client.get(ME, headers=staff.headers).json()
    assert body["role"] == "coordinator"
    assert body["side"] is None
    assert body["profile"] is None
    assert sorted(body["regions"]) == ["den-haag", "rotterdam"]
    assert count_rows(db, Profile) == 0


# --- bad access tokens -----------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(user_id: int, **changes: Any) -> dict[str, Any]:
    now = int(clock.now().timestamp())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "sid": "0123456789abcdef0123456789abcdef",
        "type": "access",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(claims: dict[str, Any], key: str | None = None) -> str:
    return jwt.encode(claims, key or os.environ["SECRET_KEY"], algorithm="HS256")


def test_a_well_made_token_is_accepted(client, make_participant):
    """The control for the crafted tokens below: correct claims, correct key, works."""
    person = make_participant("teacher", profile=False)
    assert client.get(ME, headers=bearer(_signed(_claims(person.id)))).status_code == 200


def _tampered(user_id: int) -> str:
    """A real token whose payload was swapped for another user's, keeping the old signature."""
    header, _, signature = _signed(_claims(user_id)).split(".")
    return f"{header}.{_b64(_claims(user_id + 1))}.{signature}"


BAD_TOKENS = {
    "garbage": lambda uid: "garbage",
    "three garbage parts": lambda uid: "a.b.c",
    "other key": lambda uid: _signed(_claims(uid), "another-secret-key-0123456789-abcdef"),
    "alg none": lambda uid: _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(uid)) + ".",
    "alg none no dot": lambda uid: _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(uid)),
    "no exp": lambda uid: _signed(_claims(uid, exp=None)),
    "exp in the past": lambda uid: _signed(
        _claims(uid, exp=int(clock.now().timestamp()) - 10, iat=int(clock.now().timestamp()) - 70)
    ),
    "no sub": lambda uid: _signed(_claims(uid, sub=None)),
    "no session": lambda uid: _signed(_claims(uid, sid=None)),
    "empty session": lambda uid: _signed(_claims(uid, sid="")),
    "numeric session": lambda uid: _signed(_claims(uid, sid=7)),
    "unknown user": lambda uid: _signed(_claims(uid + 1000)),
    "wrong type": lambda uid: _signed(_claims(uid, type="refresh")),
    "no type": lambda uid: _signed(_claims(uid, type=None)),
    "tampered payload": lambda uid: _tampered(uid),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_access_tokens_get_401(client, make_participant, kind):
    person = make_participant("teacher", profile=False)
    token = BAD_TOKENS[kind](person.id)
    assert_unauthorized(client.get(ME, headers=bearer(token)))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
    ],
    ids=["none", "empty", "bearer without token", "basic"],
)
def test_missing_token_gets_401(client, headers):
    assert_unauthorized(client.get(ME, headers=headers))


def test_refresh_token_as_access_token_is_401(client, make_participant):
    person = make_participant("teacher", profile=False)
    assert_unauthorized(client.get(ME, headers=bearer(person.refresh_token)))


def test_access_token_expires_after_thirty_minutes(client, make_participant):
    person = make_participant("teacher", profile=False)
    clock.advance(timedelta(minutes=29))
    assert client.get(ME, headers=person.headers).status_code == 200
    clock.advance(timedelta(minutes=2))
    assert_unauthorized(client.get(ME, headers=person.headers))
    # The refresh token still gets a fresh access token that works.
    pair = client.post(REFRESH, json={"refresh_token": person.refresh_token}).json()
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200
