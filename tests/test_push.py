"""Web Push: subscriptions, VAPID, and delivery through the outbox worker to a local push
service that verifies the VAPID JWT and decrypts the payload like a browser would."""

import io
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app import clock
from app.cli import main as cli
from app.config import get_settings
from app.db import get_engine, new_session
from app.models import OutboxPush, PushSubscription, StreamPresence
from app.services import events
from app.services.push import deliver_all_push
from app.services.time_events import tick
from tests.conftest import API, database_snapshot, mutual_match
from tests.push_service import PushService, push_service

SUBSCRIPTIONS = f"{API}/me/push-subscriptions"


def _vapid_keys() -> tuple[str, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        cli(["vapid-keys"])
    lines = out.getvalue().splitlines()
    private = next(line.split("=", 1)[1] for line in lines if line.startswith("VAPID_PRIVATE_KEY="))
    public = lines[-1].rsplit(" ", 1)[1]
    return private, public


@pytest.fixture
def pushes(monkeypatch: pytest.MonkeyPatch) -> Iterator[PushService]:
    private, public = _vapid_keys()
    with push_service() as service:
        monkeypatch.setenv("VAPID_PRIVATE_KEY", private)
        monkeypatch.setenv("VAPID_SUBJECT", "mailto:ops@jobtinder.example")
        monkeypatch.setenv("PUSH_ALLOWED_HOSTS", '["127.0.0.1"]')
        monkeypatch.setenv("PUSH_ALLOW_HTTP", "true")
        get_settings.cache_clear()
        service.public_key = public  # type: ignore[attr-defined]
        yield service
        assert service.errors == []
    get_settings.cache_clear()


def _subscribe(client: TestClient, person: Any, body: dict[str, Any]) -> None:
    response = client.post(SUBSCRIPTIONS, json=body, headers=person.headers)
    assert response.status_code == 201, response.text


def _count(model: Any, **where: Any) -> int:
    with Session(get_engine()) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.scalar(query) or 0)


def test_the_public_key_is_the_configured_one(client: TestClient, pushes: PushService) -> None:
    response = client.get(f"{API}/push/public-key")
    assert response.status_code == 200
    assert response.json() == {"public_key": pushes.public_key}  # type: ignore[attr-defined]


def test_without_vapid_keys_there_is_no_public_key(client: TestClient) -> None:
    response = client.get(f"{API}/push/public-key")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_new_match_is_pushed_to_both_with_only_a_first_name(
    client: TestClient, pushes: PushService, make_participant: Any
) -> None:
    teacher = make_participant("teacher", name="Anouk Visser")
    pro = make_participant("professional", name="Bram de Vries")
    for person, name in ((teacher, "anouk"), (pro, "bram")):
        _subscribe(client, person, pushes.browser(name).subscription())
    match = mutual_match(client, teacher, pro)
    report = deliver_all_push()
    assert report.sent == 2
    got = {r.path: r for r in pushes.received}
    assert set(got) == {"/push/anouk", "/push/bram"}
    anouk = got["/push/anouk"].payload
    assert anouk == {
        "type": "match_created",
        "title": "Nieuwe match",
        "body": "Je hebt een match met Bram.",
        "match_id": match["id"],
        "url": f"/app/matches/{match['id']}",
    }
    assert "Anouk" in got["/push/bram"].payload["body"]
    for received in got.values():
        text = str(received.payload)
        assert "Visser" not in text and "Vries" not in text and "@" not in text
        assert received.vapid_key == pushes.public_key  # type: ignore[attr-defined]
        assert received.claims["sub"] == "mailto:ops@jobtinder.example"
    assert _count(OutboxPush, status="sent") == 2
    assert deliver_all_push().handled == 0  # each push once


def test_a_coordinator_match_and_the_trial_ending_are_pushed(
    client: TestClient, pushes: PushService, make_participant: Any, make_staff: Any
) -> None:
    teacher = make_participant("teacher", name="Anouk Visser")
    pro = make_participant("professional", name="Bram de Vries")
    _subscribe(client, teacher, pushes.browser("anouk").subscription())
    staff = make_staff("coordinator", regions=["rotterdam"])
    made = client.post(
        f"{API}/coordinator/matches",
        json={"teacher_id": teacher.id, "professional_id": pro.id},
        headers=staff.headers,
    )
    assert made.status_code == 201, made.text
    clock.advance(timedelta(days=26))
    with new_session(write=True) as session:
        assert tick(session=session).notified == 4  # trial_ending, behind_schedule for both
    deliver_all_push()
    kinds = [r.payload["type"] for r in pushes.received]
    assert kinds == ["coordinator_match", "trial_ending"]
    assert pushes.received[0].payload["body"] == "Je coördinator koppelde je aan Bram."


def test_a_subscription_the_push_service_calls_gone_is_removed(
    client: TestClient, pushes: PushService, make_participant: Any
) -> None:
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    _subscribe(client, teacher, pushes.browser("old").subscription())
    _subscribe(client, teacher, pushes.browser("new").subscription())
    pushes.answers["/push/old"] = 410
    mutual_match(client, teacher, pro)
    report = deliver_all_push()
    assert report.sent == 1 and report.skipped == 1
    assert [r.path for r in pushes.received] == ["/push/new"]
    with Session(get_engine()) as session:
        left = session.scalars(select(PushSubscription.endpoint)).all()
    assert [e.rsplit("/", 1)[1] for e in left] == ["new"]


def test_a_push_service_error_is_retried_with_backoff(
    client: TestClient, pushes: PushService, make_participant: Any
) -> None:
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    _subscribe(client, teacher, pushes.browser("flaky").subscription())
    pushes.answers["/push/flaky"] = 503
    mutual_match(client, teacher, pro)
    assert deliver_all_push().retried == 1
    assert deliver_all_push().handled == 0  # not due yet
    del pushes.answers["/push/flaky"]
    clock.advance(timedelta(minutes=1))
    assert deliver_all_push().sent == 1
    assert [r.payload["type"] for r in pushes.received] == ["match_created"]


def test_a_message_is_pushed_only_when_no_stream_is_open(
    client: TestClient, pushes: PushService, make_participant: Any
) -> None:
    teacher = make_participant("teacher", name="Anouk Visser")
    pro = make_participant("professional", name="Bram de Vries")
    _subscribe(client, teacher, pushes.browser("anouk").subscription())
    match = mutual_match(client, teacher, pro)
    deliver_all_push()
    pushes.received.clear()
    message = {"match_id": match["id"], "sender_id": pro.id, "text": "Zullen we dinsdag bellen?"}
    with Session(get_engine()) as session:  # an open stream somewhere (another process)
        events.write_presence(session, node="other", present={teacher.id}, gone=set())
        events.emit(session, user_id=teacher.id, type="message", data=message)
        session.commit()
    assert deliver_all_push().handled == 0
    clock.advance(timedelta(minutes=2))  # that process died: its presence lapsed
    with Session(get_engine()) as session:
        events.emit(session, user_id=teacher.id, type="message", data=message)
        session.commit()
    deliver_all_push()
    assert [r.payload for r in pushes.received] == [
        {
            "type": "message",
            "title": "Nieuw bericht",
            "body": "Bram stuurde je een bericht.",
            "match_id": match["id"],
            "url": f"/app/matches/{match['id']}",
        }
    ]
    assert _count(StreamPresence) == 1  # purge removes it (tested in test_retention)


BAD_SUBSCRIPTIONS = [
    {"endpoint": "http://127.0.0.1:1/push/x"},  # no keys
    {"keys": {"p256dh": "x" * 87, "auth": "tBHItJI5svbpez7KI4CCXg"}},  # no endpoint
    {
        "endpoint": "https://169.254.169.254/latest/meta-data",
        "keys": {"p256dh": "B" + "A" * 86, "auth": "tBHItJI5svbpez7KI4CCXg"},
    },
]


@pytest.mark.parametrize("index", range(3))
def test_bad_subscriptions_are_422_and_store_nothing(
    client: TestClient, db: Session, pushes: PushService, make_participant: Any, index: int
) -> None:
    teacher = make_participant("teacher")
    before = database_snapshot(db)
    response = client.post(SUBSCRIPTIONS, json=BAD_SUBSCRIPTIONS[index], headers=teacher.headers)
    assert response.status_code == 422, response.text
    assert database_snapshot(db) == before


def test_subscription_keys_and_endpoint_are_checked(
    client: TestClient, pushes: PushService, make_participant: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = make_participant("teacher")
    good = pushes.browser("k").subscription()
    not_a_point = good | {"keys": good["keys"] | {"p256dh": "B" + "A" * 86}}
    short_auth = good | {"keys": good["keys"] | {"auth": "AAAAAAAAAAAAAAAAAAAAAA"[:18]}}
    internal = good | {"endpoint": "https://metadata.internal/push/k"}
    for body in (not_a_point, short_auth, internal):
        response = client.post(SUBSCRIPTIONS, json=body, headers=teacher.headers)
        assert response.status_code == 422, (body, response.text)
    monkeypatch.setenv("PUSH_ALLOW_HTTP", "false")
    get_settings.cache_clear()
    assert client.post(SUBSCRIPTIONS, json=good, headers=teacher.headers).status_code == 422
    assert _count(PushSubscription) == 0


def test_subscribe_again_unsubscribe_and_who_may(
    client: TestClient, pushes: PushService, make_participant: Any
) -> None:
    teacher = make_participant("teacher")
    other = make_participant("teacher")
    body = pushes.browser("t").subscription()
    assert client.post(SUBSCRIPTIONS, json=body).status_code == 401
    assert client.post(SUBSCRIPTIONS, json=body, headers=teacher.headers).status_code == 201
    assert client.post(SUBSCRIPTIONS, json=body, headers=teacher.headers).status_code == 200
    assert _count(PushSubscription, user_id=teacher.id) == 1
    gone = {"endpoint": body["endpoint"]}
    assert (
        client.request("DELETE", SUBSCRIPTIONS, json=gone, headers=other.headers).status_code == 404
    )
    assert (
        client.request("DELETE", SUBSCRIPTIONS, json=gone, headers=teacher.headers).status_code
        == 204
    )
    assert (
        client.request("DELETE", SUBSCRIPTIONS, json=gone, headers=teacher.headers).status_code
        == 404
    )
    assert _count(PushSubscription) == 0


def test_export_lists_endpoints_without_keys_and_erasure_removes_them(
    client: TestClient, pushes: PushService, make_participant: Any
) -> None:
    teacher = make_participant("teacher")
    body = pushes.browser("e").subscription()
    _subscribe(client, teacher, body)
    export = client.get(f"{API}/me/export", headers=teacher.headers).json()
    assert [s["endpoint"] for s in export["push_subscriptions"]] == [body["endpoint"]]
    assert body["keys"]["p256dh"] not in str(export) and body["keys"]["auth"] not in str(export)
    assert client.delete(f"{API}/me", headers=teacher.headers).status_code == 204
    assert _count(PushSubscription) == 0


def test_a_push_still_queued_when_the_partner_erases_no_longer_names_them(
    client: TestClient, pushes: PushService, make_participant: Any
) -> None:
    """Erasure turns a person into 'former participant' everywhere a partner could read their
    name (notifications, mails, live events, `app/services/visibility.py`'s stub): also in a
    push that was queued a moment before and is delivered after."""
    teacher = make_participant("teacher", name="Anouk Visser")
    pro = make_participant("professional", name="Bram de Vries")
    _subscribe(client, teacher, pushes.browser("anouk").subscription())
    match = mutual_match(client, teacher, pro)
    sent = client.post(
        f"{API}/matches/{match['id']}/messages",
        json={"body": "Hoi!", "client_id": "m1"},
        headers=pro.headers,
    )
    assert sent.status_code == 201, sent.text
    assert client.delete(f"{API}/me", headers=pro.headers).status_code == 204
    deliver_all_push()
    bodies = [r.payload["body"] for r in pushes.received if r.path == "/push/anouk"]
    assert "Je hebt een match met former participant." in bodies
    assert bodies and not [b for b in bodies if "Bram" in b]
