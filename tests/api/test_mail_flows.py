"""The account flows that go through a mail: email verification (and what an unverified
participant may do), password reset, change of address. The mail is read from the outbox."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app import clock
from app.config import get_settings
from app.errors import EMAIL_NOT_VERIFIED, TOKEN_INVALID
from app.models import AccountToken, OutboxMail, Swipe, User
from tests.api.test_accounts import assert_problem, assert_unauthorized, bearer
from tests.conftest import API, COMPLETE_PROFILE, PASSWORD, login, mailed_token, verify_email

ME = f"{API}/me"
VERIFY = f"{API}/auth/verify-email"
RESEND = f"{API}/auth/verify-email/resend"
RESET = f"{API}/auth/password-reset"
CONFIRM = f"{API}/auth/password-reset/confirm"
EMAIL = f"{API}/me/email"
NEW_PASSWORD = "een-heel-nieuw-wachtwoord"


def mails(db: Session, to: str, template: str) -> list[OutboxMail]:
    db.rollback()
    return list(
        db.scalars(
            select(OutboxMail).where(OutboxMail.to_address == to, OutboxMail.template == template)
        )
    )


def me(client, person) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(ME, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


# --- email verification ----------------------------------------------------------------------


def test_registration_mails_a_single_use_link_stored_only_as_a_hash(client, make_participant, db):
    person = make_participant("teacher", profile=False, verified=False)
    assert me(client, person)["email_verified"] is False
    [mail] = mails(db, person.email, "verify_email")
    token = mailed_token(person.email)
    assert mail.context["link"].endswith(f"/app/verify-email?token={token}")
    [stored] = db.scalars(select(AccountToken).where(AccountToken.user_id == person.id)).all()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {stored.token_hash, stored.email}

    response = client.post(VERIFY, json={"token": token})
    assert response.status_code == 200, response.text
    assert response.json() == {"email": person.email, "email_verified": True}
    assert me(client, person)["email_verified"] is True
    # Single use.
    again = assert_problem(client.post(VERIFY, json={"token": token}), 400)
    assert again["code"] == TOKEN_INVALID.code and again["detail"] == TOKEN_INVALID.detail_nl


def test_a_verification_link_expires(client, make_participant, db):
    person = make_participant("teacher", profile=False, verified=False)
    clock.advance(timedelta(hours=48, seconds=1))
    assert_problem(client.post(VERIFY, json={"token": mailed_token(person.email)}), 400)
    db.rollback()
    assert db.get(User, person.id).email_verified_at is None


@pytest.mark.parametrize("token", ["garbage", "x" * 200])
def test_an_unknown_token_is_400_and_changes_nothing(client, make_participant, db, token):
    person = make_participant("teacher", profile=False, verified=False)
    assert_problem(client.post(VERIFY, json={"token": token}), 400)
    assert_problem(client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}), 400)
    db.rollback()
    assert db.get(User, person.id).email_verified_at is None
    login(client, person.email)
    assert_problem(client.post(VERIFY, json={"token": ""}), 422)


def test_guessing_tokens_is_limited_per_client_address(client, monkeypatch):
    monkeypatch.setenv("TOKEN_FAILURES_PER_ADDRESS", "3")
    get_settings.cache_clear()
    for _ in range(3):
        assert_problem(client.post(VERIFY, json={"token": "guess"}), 400)
    assert_problem(client.post(VERIFY, json={"token": "guess"}), 429)
    body = {"token": "guess", "new_password": NEW_PASSWORD}
    blocked = assert_problem(client.post(CONFIRM, json=body), 429)
    assert blocked["status"] == 429


def test_resend_sends_a_new_link_and_old_ones_keep_working(client, make_participant, db):
    person = make_participant("teacher", profile=False, verified=False)
    first = mailed_token(person.email)
    response = client.post(RESEND, headers=person.headers)
    assert response.status_code == 202, response.text
    assert len(mails(db, person.email, "verify_email")) == 2
    assert mailed_token(person.email) != first
    assert client.post(VERIFY, json={"token": first}).status_code == 200
    # Verified now: nothing more to send.
    assert_problem(client.post(RESEND, headers=person.headers), 409)
    assert len(mails(db, person.email, "verify_email")) == 2


def test_resend_is_rate_limited_and_needs_a_login(client, make_participant, db):
    person = make_participant("teacher", profile=False, verified=False)
    other = make_participant("teacher", profile=False, verified=False)
    for _ in range(5):
        assert client.post(RESEND, headers=person.headers).status_code == 202
    assert_problem(client.post(RESEND, headers=person.headers), 429)
    assert len(mails(db, person.email, "verify_email")) == 6  # registration + 5
    assert client.post(RESEND, headers=other.headers).status_code == 202  # per account
    assert_unauthorized(client.post(RESEND))


def test_staff_created_like_the_cli_does_are_verified(client, make_staff):
    staff = make_staff("coordinator", ["rotterdam"])
    assert client.get(ME, headers=staff.headers).json()["email_verified"] is True


def test_an_unverified_participant_edits_a_profile_but_takes_no_part_in_matching(
    client, make_participant, db
):
    pro = make_participant("professional")
    teacher = make_participant("teacher", profile=False, verified=False)
    put = client.put(f"{API}/me/profile", json=COMPLETE_PROFILE["teacher"], headers=teacher.headers)
    assert put.status_code == 200, put.text
    assert me(client, teacher)["profile"]["complete"] is True
    # Cannot browse or swipe: 403 with a clear detail, nothing stored.
    feed = assert_problem(client.get(f"{API}/feed", headers=teacher.headers), 403)
    assert feed["code"] == EMAIL_NOT_VERIFIED.code
    assert feed["detail"] == EMAIL_NOT_VERIFIED.detail_nl  # Dutch unless asked otherwise
    swipe = {"target_id": pro.id, "decision": "like"}
    refused = assert_problem(client.post(f"{API}/swipes", json=swipe, headers=teacher.headers), 403)
    assert refused["code"] == EMAIL_NOT_VERIFIED.code
    # Not in anyone's feed, and not swipeable by id either.
    assert client.get(f"{API}/feed", headers=pro.headers).json()["items"] == []
    back = {"target_id": teacher.id, "decision": "like"}
    assert_problem(client.post(f"{API}/swipes", json=back, headers=pro.headers), 404)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Swipe)) == 0

    verify_email(client, teacher.email)  # the same access token works on
    ids = [
        i["profile"]["id"] for i in client.get(f"{API}/feed", headers=pro.headers).json()["items"]
    ]
    assert ids == [teacher.id]
    assert client.post(f"{API}/swipes", json=swipe, headers=teacher.headers).status_code == 201
    items = client.get(f"{API}/feed", headers=teacher.headers).json()["items"]
    assert items == []  # the one professional is swiped now


# --- password reset --------------------------------------------------------------------------


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(
    client, make_participant, db
):
    person = make_participant("teacher", profile=False)
    known = client.post(RESET, json={"email": person.email.upper()})
    unknown = client.post(RESET, json={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    drop = {"date", "content-length"}
    assert {k: v for k, v in known.headers.items() if k not in drop} == {
        k: v for k, v in unknown.headers.items() if k not in drop
    }
    assert len(mails(db, person.email, "password_reset")) == 1
    assert mails(db, "nobody@example.org", "password_reset") == []
    assert_problem(client.post(RESET, json={"email": "not an address"}), 422)


def test_password_reset_sets_the_password_and_ends_every_session(client, make_participant, db):
    person = make_participant("teacher", profile=False)
    other = login(client, person.email)
    bystander = make_participant("professional", profile=False)
    client.post(RESET, json={"email": person.email})
    token = mailed_token(person.email, "password_reset")
    [mail] = mails(db, person.email, "password_reset")
    assert mail.context["link"].endswith(f"/app/reset-password?token={token}")
    response = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 204, response.text
    for headers in (person.headers, bearer(other["access_token"])):
        assert_unauthorized(client.get(ME, headers=headers))
    for refresh_token in (person.refresh_token, other["refresh_token"]):
        assert_unauthorized(
            client.post(f"{API}/auth/refresh", json={"refresh_token": refresh_token})
        )
    assert_unauthorized(
        client.post(f"{API}/auth/token", data={"username": person.email, "password": PASSWORD})
    )
    login(client, person.email, NEW_PASSWORD)
    assert len(mails(db, person.email, "password_changed")) == 1
    # Single use.
    again = client.post(CONFIRM, json={"token": token, "new_password": "nog-een-ander-wachtwoord"})
    assert_problem(again, 400)
    login(client, person.email, NEW_PASSWORD)
    # Nobody else is touched.
    assert client.get(ME, headers=bystander.headers).status_code == 200


def test_a_reset_link_is_valid_for_thirty_minutes(client, make_participant):
    person = make_participant("teacher", profile=False)
    client.post(RESET, json={"email": person.email})
    token = mailed_token(person.email, "password_reset")
    clock.advance(timedelta(minutes=30, seconds=1))
    assert_problem(client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}), 400)
    login(client, person.email)  # unchanged


def test_a_reset_refuses_a_common_password_and_the_link_still_works(client, make_participant):
    person = make_participant("teacher", profile=False)
    client.post(RESET, json={"email": person.email})
    token = mailed_token(person.email, "password_reset")
    weak = assert_problem(
        client.post(CONFIRM, json={"token": token, "new_password": "password123"}), 422
    )
    assert weak["errors"][0]["loc"] == ["body", "new_password"]
    login(client, person.email)
    assert (
        client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}).status_code == 204
    )


def test_a_reset_link_proves_the_address(client, make_participant):
    person = make_participant("teacher", profile=False, verified=False)
    client.post(RESET, json={"email": person.email})
    token = mailed_token(person.email, "password_reset")
    assert (
        client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}).status_code == 204
    )
    fresh = login(client, person.email, NEW_PASSWORD)
    assert client.get(ME, headers=bearer(fresh["access_token"])).json()["email_verified"] is True


def test_a_verification_token_is_not_a_reset_token(client, make_participant):
    person = make_participant("teacher", profile=False, verified=False)
    token = mailed_token(person.email)
    assert_problem(client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}), 400)
    login(client, person.email)


def test_password_reset_is_limited_the_same_for_any_address(client, make_participant, db):
    person = make_participant("teacher", profile=False)
    for email in (person.email, "nobody@example.org"):
        for _ in range(5):
            assert client.post(RESET, json={"email": email}).status_code == 202
        assert_problem(client.post(RESET, json={"email": email}), 429)
    assert len(mails(db, person.email, "password_reset")) == 5


# --- change of address -----------------------------------------------------------------------


def test_change_email_takes_effect_only_when_the_new_address_is_verified(
    client, make_participant, db
):
    person = make_participant("teacher", profile=False)
    new = "nieuw.adres@example.org"
    body = {"new_email": "Nieuw.Adres@example.org", "password": PASSWORD}
    assert client.post(EMAIL, json=body, headers=person.headers).status_code == 202
    [mail] = mails(db, new, "email_change_verify")
    assert mail.context["new_email"] == new
    assert me(client, person)["email"] == person.email  # nothing changed yet
    login(client, person.email)

    response = client.post(VERIFY, json={"token": mailed_token(new, "email_change_verify")})
    assert response.status_code == 200, response.text
    assert response.json() == {"email": new, "email_verified": True}
    assert me(client, person)["email"] == new
    login(client, new)
    assert_unauthorized(
        client.post(f"{API}/auth/token", data={"username": person.email, "password": PASSWORD})
    )
    # The old address is told.
    assert len(mails(db, person.email, "email_changed_notice")) == 1


def test_change_email_refuses_wrong_password_taken_or_same_address(client, make_participant, db):
    person = make_participant("teacher", profile=False)
    other = make_participant("professional", profile=False)
    wrong = {"new_email": "nieuw@example.org", "password": "niet-mijn-wachtwoord"}
    problem = assert_problem(client.post(EMAIL, json=wrong, headers=person.headers), 422)
    assert problem["errors"][0]["loc"] == ["body", "password"]
    taken = {"new_email": other.email.upper(), "password": PASSWORD}
    assert_problem(client.post(EMAIL, json=taken, headers=person.headers), 409)
    same = {"new_email": person.email, "password": PASSWORD}
    assert_problem(client.post(EMAIL, json=same, headers=person.headers), 422)
    db.rollback()
    assert (
        db.scalar(
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.template == "email_change_verify")
        )
        == 0
    )
    assert_unauthorized(client.post(EMAIL, json=same))


def test_an_address_taken_before_the_link_is_used_is_409_and_nothing_changes(
    client, make_participant
):
    person = make_participant("teacher", profile=False)
    new = "gewild@example.org"
    client.post(EMAIL, json={"new_email": new, "password": PASSWORD}, headers=person.headers)
    token = mailed_token(new, "email_change_verify")
    registered = client.post(
        f"{API}/auth/register",
        json={"email": new, "password": PASSWORD, "name": "Snel", "side": "professional"},
    )
    assert registered.status_code == 201
    assert_problem(client.post(VERIFY, json={"token": token}), 409)
    assert me(client, person)["email"] == person.email


def test_only_the_newest_change_link_works(client, make_participant):
    person = make_participant("teacher", profile=False)
    for address in ("een@example.org", "twee@example.org"):
        body = {"new_email": address, "password": PASSWORD}
        assert client.post(EMAIL, json=body, headers=person.headers).status_code == 202
    old_link = mailed_token("een@example.org", "email_change_verify")
    assert_problem(client.post(VERIFY, json={"token": old_link}), 400)
    new_link = mailed_token("twee@example.org", "email_change_verify")
    assert client.post(VERIFY, json={"token": new_link}).status_code == 200
    assert me(client, person)["email"] == "twee@example.org"


def test_a_verification_link_for_an_old_address_no_longer_verifies(client, make_participant):
    person = make_participant("teacher", profile=False, verified=False)
    first_link = mailed_token(person.email)
    body = {"new_email": "ander@example.org", "password": PASSWORD}
    client.post(EMAIL, json=body, headers=person.headers)
    client.post(VERIFY, json={"token": mailed_token("ander@example.org", "email_change_verify")})
    assert me(client, person)["email"] == "ander@example.org"
    assert_problem(client.post(VERIFY, json={"token": first_link}), 400)
