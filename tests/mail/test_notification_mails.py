"""Notification mails through the API: what arrives over SMTP, per-type choices, language,
one-click unsubscribe, digests (at most one per person per type per day) and `tick`."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app import clock
from app.config import get_settings
from app.db import new_session
from app.models import Match, OutboxMail
from app.services import time_events
from app.services.outbox import deliver_all
from tests.conftest import API, Person, mutual_match
from tests.smtp_server import Received, SmtpServer
from tests.utils import relogin

BASE = "https://jobtinder.example"
SETTINGS = f"{API}/me/notification-settings"


def unsubscribe_path(mail: Received) -> str:
    header = mail.message["List-Unsubscribe"]
    assert header is not None
    match = re.fullmatch(
        r"<(https://jobtinder\.example)(/api/v1/mail/unsubscribe\?token=[\w-]+)>", header
    )
    assert match, header
    return match.group(2)


def exit_match(client: TestClient, who: Person, match_id: int, body: Any = None) -> None:
    response = client.post(f"{API}/matches/{match_id}/exit", json=body, headers=who.headers)
    assert response.status_code == 200, response.text


def outbox_count(db: Session, **where: Any) -> int:
    db.rollback()
    query = select(func.count()).select_from(OutboxMail)
    for name, value in where.items():
        query = query.where(getattr(OutboxMail, name) == value)
    return int(db.scalar(query) or 0)


# --- a new match ---------------------------------------------------------------------------


def test_a_new_match_mails_both_partners_in_their_language(
    client, smtp: SmtpServer, make_participant
):
    teacher = make_participant("teacher", name="Anna de Vries")
    pro = make_participant("professional", name="Bram Jansen")
    put = client.put(SETTINGS, json={"language": "en"}, headers=pro.headers)
    assert put.status_code == 200 and put.json()["language"] == "en"

    match = mutual_match(client, teacher, pro)
    assert deliver_all().sent == 2

    [to_teacher] = smtp.inbox.to(teacher.email)
    assert to_teacher.message["Subject"] == "Je hebt een nieuwe match op Job Tinder"
    text = to_teacher.part("plain")
    assert "Hallo Anna de Vries" in text
    assert f"Bram Jansen: {BASE}/app/matches/{match['id']}" in text
    html = to_teacher.part("html")
    assert f'<a href="{BASE}/app/matches/{match["id"]}">Bram Jansen</a>' in html
    assert to_teacher.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_path(to_teacher) in text.replace(BASE, "")
    assert to_teacher.message["Message-ID"]

    [to_pro] = smtp.inbox.to(pro.email)
    assert to_pro.message["Subject"] == "You have a new match on Job Tinder"
    assert "Hello Bram Jansen" in to_pro.part("plain")
    assert "Anna de Vries" in to_pro.part("plain")
    assert to_pro.message["Message-ID"] != to_teacher.message["Message-ID"]


def test_a_coordinator_match_mails_both(client, smtp: SmtpServer, make_participant, make_staff):
    teacher = make_participant("teacher", place="rotterdam")
    pro = make_participant("professional", place="rotterdam")
    region = client.get(f"{API}/me", headers=teacher.headers).json()["profile"]["region"]
    coordinator = make_staff("coordinator", regions=[region])
    response = client.post(
        f"{API}/coordinator/matches",
        json={"teacher_id": teacher.id, "professional_id": pro.id},
        headers=coordinator.headers,
    )
    assert response.status_code == 201, response.text
    deliver_all()
    for who in (teacher, pro):
        [mail] = smtp.inbox.to(who.email)
        assert mail.message["Subject"] == "Je coördinator heeft een match voor je gemaakt"
    assert smtp.inbox.to(coordinator.email) == []


def test_one_click_unsubscribe_works_once_without_login(client, smtp, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)
    deliver_all()
    [mail] = smtp.inbox.to(teacher.email)
    path = unsubscribe_path(mail)

    page = client.get(path)  # what a link scanner or a click does: asks, changes nothing
    assert page.status_code == 200 and '<form method="post"' in page.text
    assert client.get(SETTINGS, headers=teacher.headers).json()["mail"]["match_created"] is True

    first = client.post(
        path,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert first.status_code == 200, first.text
    assert "geen mails meer over nieuwe matches" in first.text
    settings = client.get(SETTINGS, headers=teacher.headers).json()
    assert settings["mail"]["match_created"] is False
    assert settings["mail"]["match_ended"] is True  # only that type
    assert settings["in_app"]["match_created"] is True

    second = client.post(path, content="List-Unsubscribe=One-Click")
    assert second.status_code == 410
    assert second.headers["content-type"] == "application/problem+json"
    assert client.get(path).status_code == 410
    unknown = client.post(f"{API}/mail/unsubscribe", params={"token": "x" * 43})
    assert unknown.status_code == 404
    assert client.post(f"{API}/mail/unsubscribe", params={"token": "<>"}).status_code == 422

    # The next match: the pro is mailed, the teacher only notified in-app.
    exit_match(client, pro, match["id"])
    other = make_participant("professional")
    mutual_match(client, teacher, other)
    clock.advance(timedelta(days=1))
    deliver_all()
    assert len(smtp.inbox.to(other.email)) == 1
    subjects = [m.message["Subject"] for m in smtp.inbox.to(teacher.email)]
    assert subjects.count("Je hebt een nieuwe match op Job Tinder") == 1  # only the first
    assert "Een match op Job Tinder is beëindigd" in subjects  # other types still mail
    relogin(client, teacher)
    types = [
        n["type"]
        for n in client.get(f"{API}/notifications", headers=teacher.headers).json()["items"]
    ]
    assert types.count("match_created") == 2


def test_turning_a_type_off_before_delivery_means_it_is_not_sent(client, smtp, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    mutual_match(client, teacher, pro)
    put = client.put(SETTINGS, json={"mail": {"match_created": False}}, headers=teacher.headers)
    assert put.status_code == 200
    report = deliver_all()
    assert report.sent == 1 and report.skipped == 1
    assert smtp.inbox.to(teacher.email) == []
    assert len(smtp.inbox.to(pro.email)) == 1


# --- settings ------------------------------------------------------------------------------


def test_notification_settings_defaults_and_partial_updates(client, db, make_participant):
    me = make_participant("teacher")
    got = client.get(SETTINGS, headers=me.headers)
    assert got.status_code == 200
    assert got.json() == {
        "language": "nl",
        "mail": {
            "match_created": True,
            "coordinator_match": True,
            "trial_ending": True,
            "behind_schedule": True,
            "match_ended": True,
        },
        "in_app": dict.fromkeys(
            (
                "match_created",
                "coordinator_match",
                "partner_confirmed",
                "match_active",
                "match_ended",
                "trial_ending",
                "behind_schedule",
            ),
            True,
        ),
    }
    put = client.put(SETTINGS, json={"mail": {"behind_schedule": False}}, headers=me.headers)
    assert put.status_code == 200
    assert put.json()["mail"]["behind_schedule"] is False
    assert put.json()["mail"]["trial_ending"] is True and put.json()["language"] == "nl"
    put = client.put(SETTINGS, json={"language": "en"}, headers=me.headers)
    assert put.json()["language"] == "en" and put.json()["mail"]["behind_schedule"] is False
    assert client.get(SETTINGS, headers=me.headers).json() == put.json()


@pytest.mark.parametrize(
    "body",
    [
        {"mail": {"partner_confirmed": False}},  # in-app only, cannot mail
        {"mail": {"no_such_type": True}},
        {"mail": {"match_created": "maybe"}},
        {"language": "de"},
        {"in_app": {"match_created": False}},  # in-app is always on
        [],
    ],
)
def test_bad_notification_settings_are_422_and_change_nothing(client, make_participant, body):
    me = make_participant("teacher")
    before = client.get(SETTINGS, headers=me.headers).json()
    response = client.put(SETTINGS, json=body, headers=me.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(SETTINGS, headers=me.headers).json() == before


def test_notification_settings_need_a_login(client):
    assert client.get(SETTINGS).status_code == 401
    assert client.put(SETTINGS, json={"language": "en"}).status_code == 401


# --- a match ended -------------------------------------------------------------------------


def test_a_match_ended_mail_is_neutral(client, smtp, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)
    note = "Zijn verhalen waren saai en hij kwam steeds te laat"
    exit_match(client, teacher, match["id"], {"reason": "no_time", "note": note})
    clock.advance(timedelta(days=1))  # past the day's match_created mail
    deliver_all()
    [ended] = [m for m in smtp.inbox.to(pro.email) if "beëindigd" in m.message["Subject"]]
    body = ended.part("plain") + ended.part("html")
    for secret in (note, "no_time", "saai", teacher.name):
        assert secret not in body
    assert f"{BASE}/app/matches/{match['id']}" in body
    assert [m for m in smtp.inbox.to(teacher.email) if "beëindigd" in m.message["Subject"]] == []


# --- at most one per person per type per day -------------------------------------------------


def test_a_second_mail_of_a_type_on_the_same_day_waits_for_the_next_day(
    client, smtp, make_participant
):
    teacher = make_participant("teacher")
    first_pro = make_participant("professional", name="Eerste Pro")
    first = mutual_match(client, teacher, first_pro)
    assert deliver_all().sent == 2
    exit_match(client, teacher, first["id"])
    second_pro = make_participant("professional", name="Tweede Pro")
    mutual_match(client, teacher, second_pro)

    report = deliver_all()
    assert report.deferred == 1  # the teacher's second match_created mail, today
    assert [m.message["Subject"] for m in smtp.inbox.to(teacher.email)] == [
        "Je hebt een nieuwe match op Job Tinder"
    ]
    clock.advance(timedelta(days=1))
    deliver_all()
    mails = smtp.inbox.to(teacher.email)
    assert len(mails) == 2 and "Tweede Pro" in mails[1].part("plain")
    assert "Eerste Pro" not in mails[1].part("plain")


def test_several_due_at_once_arrive_as_one_digest(client, smtp, make_participant, monkeypatch):
    monkeypatch.setenv("MAX_ONGOING_MATCHES", "2")
    get_settings.cache_clear()
    teacher = make_participant("teacher")
    pros = [make_participant("professional", name=n) for n in ("Pro Een", "Pro Twee")]
    for pro in pros:
        mutual_match(client, teacher, pro)

    deliver_all()
    [digest] = smtp.inbox.to(teacher.email)
    text = digest.part("plain")
    assert "Pro Een" in text and "Pro Twee" in text
    assert digest.part("html").count("<li>") == 2
    with new_session() as session:
        statuses = sorted(
            session.scalars(select(OutboxMail.status).where(OutboxMail.to_address == teacher.email))
        )
    assert statuses == ["merged", "sent"]


# --- time-based: tick ----------------------------------------------------------------------


def test_tick_mails_the_trial_ending_once_even_from_concurrent_ticks(
    client, db, smtp, make_participant
):
    teacher = make_participant("teacher")
    pro = make_participant("professional", name="Bram")
    match = mutual_match(client, teacher, pro)
    deliver_all()  # the match mails
    clock.advance(timedelta(days=26))

    start = Barrier(3)

    def run_tick() -> int:
        start.wait()
        with new_session(write=True) as session:
            return time_events.tick(session=session).notified

    with ThreadPoolExecutor(3) as pool:
        notified = list(pool.map(lambda _: run_tick(), range(3)))
    # Each notification once (trial_ending and behind_schedule, per partner), whichever
    # tick was first, and each of them mailed once.
    assert sum(notified) == 4
    with new_session(write=True) as session:
        assert time_events.tick(session=session).notified == 0
    assert outbox_count(db, kind="trial_ending") == 2
    assert outbox_count(db, kind="behind_schedule") == 2

    deliver_all()
    for who in (teacher, pro):
        [mail] = [m for m in smtp.inbox.to(who.email) if "proeftijd" in m.message["Subject"]]
        assert f"{BASE}/app/matches/{match['id']}" in mail.part("plain")
        ends = clock.as_utc(db.get(Match, match["id"]).trial_ends_at)
        assert f"proeftijd tot {ends.day} " in mail.part("plain")
        [behind] = [m for m in smtp.inbox.to(who.email) if "achter" in m.message["Subject"]]
        assert re.search(r"0 van 20 uur, [\d.]+ uur achter: ", behind.part("plain"))
    # Reading notifications later (which also emits what is due) mails nothing new.
    relogin(client, teacher)
    assert client.get(f"{API}/notifications", headers=teacher.headers).status_code == 200
    assert outbox_count(db, kind="trial_ending") == 2


def test_erasing_my_account_drops_my_queued_mails(client, db, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    mutual_match(client, teacher, pro)
    assert outbox_count(db, user_id=teacher.id) == 1
    assert client.delete(f"{API}/me", headers=teacher.headers).status_code == 204
    assert outbox_count(db, user_id=teacher.id) == 0
    db.rollback()
    [to_pro] = db.scalars(
        select(OutboxMail).where(OutboxMail.user_id == pro.id, OutboxMail.kind == "match_created")
    ).all()
    assert to_pro.context["partner_name"] == "former participant"
    assert teacher.name not in str(to_pro.context)


def test_my_export_holds_my_language_choices_and_mails(client, smtp, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    client.put(
        SETTINGS, json={"language": "en", "mail": {"trial_ending": False}}, headers=teacher.headers
    )
    mutual_match(client, teacher, pro)
    deliver_all()
    export = client.get(f"{API}/me/export", headers=teacher.headers).json()
    assert export["account"]["language"] == "en"
    assert export["notification_settings"]["mail"]["trial_ending"] is False
    [mail] = export["mails"]
    assert mail["template"] == "match_created" and mail["status"] == "sent"
    assert mail["to"] == teacher.email and mail["sent_at"]
    assert "context" not in mail


def test_purge_removes_handled_mails_after_90_days_and_keeps_queued_ones(
    client, db, smtp, make_participant, capsys
):
    from app.cli import main as cli

    teacher = make_participant("teacher")
    pro = make_participant("professional")
    mutual_match(client, teacher, pro)
    deliver_all()
    smtp.stop()  # the next ones stay queued
    relogin(client, teacher, pro)
    clock.advance(timedelta(days=91))
    relogin(client, teacher, pro)
    exit_match(
        client,
        teacher,
        client.get(f"{API}/matches", headers=teacher.headers).json()["items"][0]["id"],
    )
    cli(["purge"])
    assert "2 handled mail(s) removed" in capsys.readouterr().out
    assert outbox_count(db, status="sent") == 0
    assert outbox_count(db, status="pending", kind="match_ended") == 1
