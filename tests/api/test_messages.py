"""The conversation of a match: who reads and writes, idempotent sends, pages both ways,
read receipts and unread counts."""

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app.config import get_settings
from app.models import Event, MatchRead, Message
from tests.conftest import API, Person, database_snapshot, mutual_match


def messages_url(match_id: int) -> str:
    return f"{API}/matches/{match_id}/messages"


def send(
    client: TestClient, person: Person, match_id: int, body: str, client_id: str | None = None
) -> Any:
    return client.post(
        messages_url(match_id),
        json={"body": body, "client_id": client_id or f"c-{person.id}-{body[:40]}"},
        headers=person.headers,
    )


def page(client: TestClient, person: Person, match_id: int, **params: Any) -> Any:
    return client.get(messages_url(match_id), params=params, headers=person.headers)


def count_messages(db: Session) -> int:
    db.rollback()
    return int(db.scalar(select(func.count()).select_from(Message)) or 0)


@pytest.fixture
def pair(client, make_participant):  # type: ignore[no-untyped-def]
    teacher = make_participant("teacher", name="Anouk Docent")
    pro = make_participant("professional", name="Pieter Prof")
    match = mutual_match(client, teacher, pro)
    return teacher, pro, match["id"]


def test_partners_write_and_both_read_newest_first(client, pair) -> None:
    teacher, pro, match_id = pair
    first = send(client, teacher, match_id, "Hoi Pieter, zin in een gastles?", "t-1")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["body"] == "Hoi Pieter, zin in een gastles?"
    assert body["mine"] is True and body["sender_id"] == teacher.id
    assert body["client_id"] == "t-1" and body["removed"] is False
    assert send(client, pro, match_id, "Zeker! Donderdag?", "p-1").status_code == 201

    for viewer, other in ((teacher, pro), (pro, teacher)):
        listed = page(client, viewer, match_id)
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert [m["body"] for m in items] == [
            "Zeker! Donderdag?",
            "Hoi Pieter, zin in een gastles?",
        ]
        assert [m["mine"] for m in items] == [viewer is pro, viewer is teacher]
        # the partner's idempotency keys are theirs
        assert all(m["client_id"] is None for m in items if m["sender_id"] == other.id)
        assert listed.json()["can_write"] is True


def test_a_retry_stores_one_message_and_answers_the_same(client, db, pair) -> None:
    teacher, _, match_id = pair
    first = send(client, teacher, match_id, "Komt dinsdag uit?", "same-key")
    retry = send(client, teacher, match_id, "Komt dinsdag uit?", "same-key")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert count_messages(db) == 1
    # the same key with another text is not a retry: refused, nothing stored
    before = database_snapshot(db)
    reused = send(client, teacher, match_id, "Of liever woensdag?", "same-key")
    assert reused.status_code == 409, reused.text
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert "client_id" in reused.json()["detail"]
    assert database_snapshot(db) == before


def test_the_partner_may_use_the_same_client_id(client, db, pair) -> None:
    teacher, pro, match_id = pair
    assert send(client, teacher, match_id, "Hallo", "1").status_code == 201
    assert send(client, pro, match_id, "Hallo terug", "1").status_code == 201
    assert count_messages(db) == 2


@pytest.mark.parametrize(
    "payload",
    [
        {"body": "", "client_id": "a"},
        {"body": "   \n ", "client_id": "a"},
        {"body": "x" * 2001, "client_id": "a"},
        {"body": "nul\x00byte", "client_id": "a"},
        {"body": "ok"},
        {"client_id": "a"},
        {"body": "ok", "client_id": ""},
        {"body": "ok", "client_id": "x" * 65},
        {"body": "ok", "client_id": "met spatie"},
        {"body": "ok", "client_id": "a", "sender_id": 1},
        {"body": 5, "client_id": "a"},
    ],
)
def test_bad_messages_are_422_and_write_nothing(client, db, pair, payload) -> None:
    teacher, _, match_id = pair
    before = database_snapshot(db)
    response = client.post(messages_url(match_id), json=payload, headers=teacher.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert database_snapshot(db) == before


def test_2000_characters_is_the_longest_message(client, pair) -> None:
    teacher, _, match_id = pair
    longest = "é" * 2000
    response = send(client, teacher, match_id, longest, "long")
    assert response.status_code == 201, response.text
    assert page(client, teacher, match_id).json()["items"][0]["body"] == longest


def test_nobody_but_the_partners_reads_or_writes(client, db, pair, make_participant, make_staff):
    teacher, _, match_id = pair
    assert send(client, teacher, match_id, "Alleen voor Pieter", "t").status_code == 201
    stranger = make_participant("professional")
    coordinator = make_staff("coordinator", ["rotterdam"])
    admin = make_staff("admin")
    before = database_snapshot(db)
    for outsider in (stranger, coordinator, admin):
        assert page(client, outsider, match_id).status_code == 404
        assert send(client, outsider, match_id, "Mag ik meelezen?", "x").status_code == 404
        read = client.post(
            f"{messages_url(match_id)}/read", json={"up_to_id": 1}, headers=outsider.headers
        )
        assert read.status_code == 404
    for missing in (0, 999_999, 2**31, 2**40):
        assert page(client, teacher, missing).status_code in (404, 422)
    assert database_snapshot(db) == before
    unread = client.get(f"{API}/me/unread", headers=coordinator.headers).json()
    assert unread["messages"] == 0 and unread["matches"] == []


def test_after_the_match_ended_the_history_stays_readable_and_closed(client, db, pair):
    teacher, pro, match_id = pair
    assert send(client, teacher, match_id, "Bedankt voor alles", "bye").status_code == 201
    exited = client.post(f"{API}/matches/{match_id}/exit", json={}, headers=pro.headers)
    assert exited.status_code == 200
    for person in (teacher, pro):
        listed = page(client, person, match_id)
        assert listed.status_code == 200
        assert [m["body"] for m in listed.json()["items"]] == ["Bedankt voor alles"]
        assert listed.json()["can_write"] is False
        before = database_snapshot(db)
        closed = send(client, person, match_id, "Nog één ding", f"late-{person.id}")
        assert closed.status_code == 409, closed.text
        assert database_snapshot(db) == before
    # a retry of the message sent before the exit still answers what was stored
    retry = send(client, teacher, match_id, "Bedankt voor alles", "bye")
    assert retry.status_code == 200


def test_a_block_takes_the_conversation_from_the_blocked_person_only(client, db, pair):
    teacher, pro, match_id = pair
    assert send(client, pro, match_id, "Waarom antwoord je niet?", "p1").status_code == 201
    assert send(client, teacher, match_id, "Ik stop hiermee.", "t1").status_code == 201
    blocked = client.post(f"{API}/blocks", json={"user_id": pro.id}, headers=teacher.headers)
    assert blocked.status_code == 201

    # the blocked person: as if the conversation never existed
    assert page(client, pro, match_id).status_code == 404
    assert send(client, pro, match_id, "Hallo??", "p2").status_code == 404
    read = client.post(f"{messages_url(match_id)}/read", json={"up_to_id": 2}, headers=pro.headers)
    assert read.status_code == 404
    unread = client.get(f"{API}/me/unread", headers=pro.headers).json()
    assert unread["matches"] == [] and unread["messages"] == 0

    # the blocker keeps the history, read-only (to report what was said), and no live data
    kept = page(client, teacher, match_id)
    assert kept.status_code == 200
    assert [m["body"] for m in kept.json()["items"]] == [
        "Ik stop hiermee.",
        "Waarom antwoord je niet?",
    ]
    assert kept.json()["can_write"] is False and kept.json()["partner_read_up_to"] is None
    assert send(client, teacher, match_id, "Nog even dit", "t2").status_code == 409
    assert count_messages(db) == 2

    # lifting the block gives the history back; the match stays ended
    lifted = client.delete(f"{API}/blocks/{pro.id}", headers=teacher.headers)
    assert lifted.status_code == 204
    back = page(client, pro, match_id)
    assert back.status_code == 200 and back.json()["can_write"] is False


def test_blocks_both_ways_leave_the_conversation_to_neither(client, pair) -> None:
    teacher, pro, match_id = pair
    assert send(client, pro, match_id, "Hoi", "p1").status_code == 201
    client.post(f"{API}/blocks", json={"user_id": pro.id}, headers=teacher.headers)
    client.post(f"{API}/blocks", json={"user_id": teacher.id}, headers=pro.headers)
    assert page(client, teacher, match_id).status_code == 404
    assert page(client, pro, match_id).status_code == 404


def _cursor(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def test_pages_go_back_with_before_and_catch_up_with_after(client, pair) -> None:
    teacher, pro, match_id = pair
    for n in range(1, 6):
        sender = teacher if n % 2 else pro
        assert send(client, sender, match_id, f"bericht {n}", f"k{n}").status_code == 201

    newest = page(client, teacher, match_id, limit=2).json()
    assert [m["body"] for m in newest["items"]] == ["bericht 5", "bericht 4"]
    older = page(client, teacher, match_id, limit=2, before=newest["next_cursor"]).json()
    assert [m["body"] for m in older["items"]] == ["bericht 3", "bericht 2"]
    assert older["latest_cursor"] is None  # an older page says nothing about what is newest
    oldest = page(client, teacher, match_id, limit=2, before=older["next_cursor"]).json()
    assert [m["body"] for m in oldest["items"]] == ["bericht 1"]
    assert oldest["next_cursor"] is None

    # nothing new yet
    latest = newest["latest_cursor"]
    caught = page(client, teacher, match_id, after=latest).json()
    assert caught["items"] == [] and caught["next_cursor"] is None
    assert caught["latest_cursor"] == latest
    # three new ones: oldest first, in pages, without gaps
    for n in range(6, 9):
        assert send(client, pro, match_id, f"bericht {n}", f"k{n}").status_code == 201
    first = page(client, teacher, match_id, after=latest, limit=2).json()
    assert [m["body"] for m in first["items"]] == ["bericht 6", "bericht 7"]
    rest = page(client, teacher, match_id, after=first["next_cursor"], limit=2).json()
    assert [m["body"] for m in rest["items"]] == ["bericht 8"]
    assert rest["next_cursor"] is None
    final = page(client, teacher, match_id, after=rest["latest_cursor"]).json()
    assert final["items"] == []


@pytest.mark.parametrize("param", ["before", "after"])
@pytest.mark.parametrize("position", [[True], [0], [-1], [2**40], ["5"], [5, 1], {"id": 5}, []])
def test_forged_cursors_are_422_naming_the_parameter(client, pair, param, position) -> None:
    teacher, _, match_id = pair
    response = page(client, teacher, match_id, **{param: _cursor(position)})
    assert response.status_code == 422, response.text
    assert ["query", param] in [e["loc"] for e in response.json()["errors"]]
    garbage = page(client, teacher, match_id, **{param: "not base64!"})
    assert garbage.status_code == 422


def test_before_and_after_together_are_422(client, pair) -> None:
    teacher, _, match_id = pair
    response = page(client, teacher, match_id, before=_cursor([5]), after=_cursor([1]))
    assert response.status_code == 422


def test_read_receipts_and_unread_counts(client, db, pair, make_participant) -> None:
    teacher, pro, match_id = pair
    ids = [send(client, pro, match_id, f"vraag {n}", f"q{n}").json()["id"] for n in range(3)]
    mine = send(client, teacher, match_id, "Even kijken", "t").json()["id"]

    unread = client.get(f"{API}/me/unread", headers=teacher.headers)
    assert unread.status_code == 200, unread.text
    body = unread.json()
    assert body["messages"] == 3  # my own message is never unread
    assert body["matches"] == [{"match_id": match_id, "unread": 3, "last_message_id": ids[-1]}]
    assert body["notifications"] == 1  # match_created
    assert client.get(f"{API}/me/unread", headers=pro.headers).json()["messages"] == 1

    read = client.post(
        f"{messages_url(match_id)}/read", json={"up_to_id": ids[1]}, headers=teacher.headers
    )
    assert read.status_code == 200, read.text
    assert read.json() == {"match_id": match_id, "last_read_id": ids[1], "unread": 1}
    # the partner sees how far I read
    assert page(client, pro, match_id).json()["partner_read_up_to"] == ids[1]
    # never backwards
    back = client.post(
        f"{messages_url(match_id)}/read", json={"up_to_id": ids[0]}, headers=teacher.headers
    )
    assert back.json()["last_read_id"] == ids[1]
    # never past the newest message of this conversation
    far = client.post(
        f"{messages_url(match_id)}/read", json={"up_to_id": 10_000}, headers=teacher.headers
    )
    assert far.json() == {"match_id": match_id, "last_read_id": mine, "unread": 0}
    db.rollback()
    assert db.get(MatchRead, (match_id, teacher.id)).last_read_id == mine
    assert client.get(f"{API}/me/unread", headers=teacher.headers).json()["matches"] == []

    # another conversation's messages never move this watermark
    other = make_participant("professional")
    third = make_participant("teacher")
    other_match = mutual_match(client, third, other)["id"]
    foreign = send(client, other, other_match, "elders", "o").json()["id"]
    assert foreign > mine
    assert read.json()["last_read_id"] == ids[1]


@pytest.mark.parametrize("payload", [{}, {"up_to_id": 0}, {"up_to_id": 2**31}, {"up_to_id": "1"}])
def test_bad_read_receipts_are_422(client, db, pair, payload) -> None:
    teacher, _, match_id = pair
    before = database_snapshot(db)
    response = client.post(f"{messages_url(match_id)}/read", json=payload, headers=teacher.headers)
    assert response.status_code == 422
    assert database_snapshot(db) == before


def test_sends_are_rate_limited_per_sender(client, db, pair, monkeypatch) -> None:
    monkeypatch.setenv("MESSAGES_PER_MINUTE", "3")
    get_settings.cache_clear()
    teacher, pro, match_id = pair
    codes = [send(client, teacher, match_id, f"spam {n}", f"s{n}").status_code for n in range(4)]
    assert codes == [201, 201, 201, 429]
    refused = send(client, teacher, match_id, "spam 9", "s9")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert count_messages(db) == 3
    # a retry of a stored message is not a new send: still answered
    assert send(client, teacher, match_id, "spam 0", "s0").status_code == 200
    # the partner has their own allowance
    assert send(client, pro, match_id, "rustig aan", "p").status_code == 201


def _events(db: Session, user_id: int) -> list[tuple[str, dict[str, Any]]]:
    db.rollback()
    rows = db.execute(
        select(Event.type, Event.data).where(Event.user_id == user_id).order_by(Event.seq)
    ).all()
    return [(str(type_), dict(data)) for type_, data in rows]


def test_a_message_is_a_live_event_for_its_recipient_with_new_unread_counts(
    client, db, pair
) -> None:
    teacher, pro, match_id = pair
    before_t, before_p = len(_events(db, teacher.id)), len(_events(db, pro.id))
    sent = send(client, teacher, match_id, "Hoi! Zin in donderdag?", "live-1").json()
    new = _events(db, pro.id)[before_p:]
    assert [t for t, _ in new] == ["message", "unread"]
    message = new[0][1]
    assert message == {
        "id": sent["id"],
        "match_id": match_id,
        "sender_id": teacher.id,
        "mine": False,
        "body": "Hoi! Zin in donderdag?",
        "removed": False,
        "client_id": None,  # the sender's key is not the recipient's business
        "created_at": message["created_at"],
    }
    assert new[1][1]["messages"] == 1
    assert new[1][1]["matches"] == [
        {"match_id": match_id, "unread": 1, "last_message_id": sent["id"]}
    ]
    # the sender's own stream gets nothing for it, and a retry emits nothing new
    assert _events(db, teacher.id)[before_t:] == []
    assert send(client, teacher, match_id, "Hoi! Zin in donderdag?", "live-1").status_code == 200
    assert len(_events(db, pro.id)) == before_p + 2

    # a read receipt sends the reader their new counts
    read = client.post(
        f"{messages_url(match_id)}/read", json={"up_to_id": sent["id"]}, headers=pro.headers
    )
    assert read.status_code == 200
    kind, counts = _events(db, pro.id)[-1]
    assert kind == "unread" and counts["messages"] == 0 and counts["matches"] == []


def test_erasure_removes_my_words_from_the_partners_stored_events(client, db, pair) -> None:
    teacher, pro, match_id = pair
    send(client, pro, match_id, "Bel me op 06-12345678", "p-live")
    assert client.delete(f"{API}/me", headers=pro.headers).status_code == 204
    messages = [data for kind, data in _events(db, teacher.id) if kind == "message"]
    assert [(m["sender_id"], m["body"], m["removed"]) for m in messages] == [(pro.id, None, True)]
