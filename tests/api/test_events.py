"""The event stream's door: tickets (single use, 60 s), credentials, Last-Event-ID."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.db import get_engine
from app.models import Event, StreamTicket
from app.services.events import emit
from tests.conftest import API, mutual_match

EVENTS = f"{API}/events"


def _ticket(client: TestClient, person: Any) -> str:
    response = client.post(f"{EVENTS}/ticket", headers=person.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["ticket"])


def _problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_expired_ticket_is_401(client: TestClient, make_participant: Any) -> None:
    teacher = make_participant("teacher")
    ticket = _ticket(client, teacher)
    clock.advance(timedelta(seconds=61))
    response = client.get(EVENTS, params={"ticket": ticket})
    _problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_only_the_hash_of_a_ticket_is_stored(
    client: TestClient, db: Session, make_participant: Any
) -> None:
    teacher = make_participant("teacher")
    ticket = _ticket(client, teacher)
    stored = db.scalars(select(StreamTicket)).all()
    assert len(stored) == 1 and stored[0].user_id == teacher.id
    assert ticket not in stored[0].token_hash and len(stored[0].token_hash) == 64


def test_unknown_ticket_no_credentials_and_a_bad_token_are_401(client: TestClient) -> None:
    _problem(client.get(EVENTS, params={"ticket": "A" * 43}), 401)
    _problem(client.get(EVENTS), 401)
    _problem(client.get(EVENTS, headers={"Authorization": "Bearer nonsense"}), 401)
    _problem(client.post(f"{EVENTS}/ticket"), 401)


def test_an_erased_account_cannot_open_a_stream(client: TestClient, make_participant: Any) -> None:
    teacher = make_participant("teacher")
    ticket = _ticket(client, teacher)
    assert client.delete(f"{API}/me", headers=teacher.headers).status_code == 204
    _problem(client.get(EVENTS, params={"ticket": ticket}), 401)


def test_a_bad_last_event_id_is_422(client: TestClient, make_participant: Any) -> None:
    teacher = make_participant("teacher")
    for bad in ("abc", "-1", "1e9", str(2**60)):
        response = client.get(EVENTS, headers=teacher.headers | {"Last-Event-ID": bad})
        _problem(response, 422)
    _problem(client.get(EVENTS, params={"last_event_id": -1}, headers=teacher.headers), 422)


def test_emit_stores_nothing_when_the_transaction_rolls_back(make_participant: Any) -> None:
    teacher = make_participant("teacher")
    with Session(get_engine()) as session:
        emit(session, user_id=teacher.id, type="message", data={"match_id": 1, "sender_id": 2})
        session.rollback()
    with Session(get_engine()) as session:
        emit(session, user_id=teacher.id, type="message", data={"match_id": 1, "sender_id": 2})
        session.commit()
        rows = session.execute(select(Event.seq, Event.type)).all()
    assert [tuple(r) for r in rows] == [(1, "message")]  # numbering starts over: no gap


def test_erasure_deletes_my_events_and_renames_me_in_my_partners(
    client: TestClient, make_participant: Any
) -> None:
    teacher = make_participant("teacher", name="Anouk Visser")
    pro = make_participant("professional")
    mutual_match(client, teacher, pro)
    assert client.delete(f"{API}/me", headers=teacher.headers).status_code == 204
    with Session(get_engine()) as session:
        mine = session.scalars(select(Event).where(Event.user_id == teacher.id)).all()
        theirs = session.scalars(select(Event).where(Event.user_id == pro.id)).all()
    assert mine == []
    assert "Anouk" not in str([e.data for e in theirs])
    created = [e.data for e in theirs if e.type == "notification"][0]
    assert created["data"]["partner_name"] == "former participant"


def test_purge_removes_events_older_than_the_keep_days(make_participant: Any) -> None:
    from app.services.retention import purge

    teacher = make_participant("teacher")
    with Session(get_engine()) as session:
        emit(session, user_id=teacher.id, type="unread", data={"notifications": 0})
        session.commit()
    clock.advance(timedelta(days=15))
    with Session(get_engine()) as session:
        emit(session, user_id=teacher.id, type="unread", data={"notifications": 1})
        session.commit()
        assert purge(session=session, days=730).events == 1
        rows = session.execute(select(Event.seq)).all()
    assert [r.seq for r in rows] == [2]
