"""AVG for conversations and reports: export, erasure (the partner keeps the conversation with
a "former participant", without that person's words) and the retention period."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app import clock
from app.cli import main as cli
from app.models import MatchRead, Message, Report
from tests.conftest import API, Person, login, mutual_match

FORMER = "former participant"


def send(client: TestClient, person: Person, match_id: int, body: str) -> int:
    response = client.post(
        f"{API}/matches/{match_id}/messages",
        json={"body": body, "client_id": f"{person.id}-{abs(hash(body))}"},
        headers=person.headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_export_holds_my_messages_and_reports_not_the_partners_words(
    client, make_participant
) -> None:
    teacher, pro = make_participant("teacher"), make_participant("professional")
    match_id = mutual_match(client, teacher, pro)["id"]
    mine = send(client, teacher, match_id, "Mijn eigen woorden")
    theirs = send(client, pro, match_id, "Woorden van Pieter")
    client.post(
        f"{API}/matches/{match_id}/messages/read",
        json={"up_to_id": theirs},
        headers=teacher.headers,
    )
    filed = client.post(
        f"{API}/reports",
        json={"user_id": pro.id, "reason": "other", "note": "Mijn notitie"},
        headers=teacher.headers,
    )
    assert filed.status_code == 201
    export = client.get(f"{API}/me/export", headers=teacher.headers)
    assert export.status_code == 200
    data = export.json()
    assert [(m["id"], m["match_id"], m["body"]) for m in data["messages"]] == [
        (mine, match_id, "Mijn eigen woorden")
    ]
    assert data["message_reads"] == [{"match_id": match_id, "last_read_id": theirs}]
    assert [(r["user_id"], r["note"]) for r in data["reports"]] == [(pro.id, "Mijn notitie")]
    assert "Woorden van Pieter" not in export.text


def test_erasure_removes_my_words_and_the_partner_keeps_the_conversation(
    client, db: Session, make_participant, make_staff
) -> None:
    teacher = make_participant("teacher")
    pro = make_participant("professional", name="Pieter Prof", place="den-haag")
    match_id = mutual_match(client, teacher, pro)["id"]
    hers = send(client, teacher, match_id, "Hoi Pieter, dinsdag?")
    his = send(client, pro, match_id, "Prima, tot dinsdag. Bel me op 06-12345678.")
    client.post(
        f"{API}/matches/{match_id}/messages/read", json={"up_to_id": hers}, headers=pro.headers
    )
    # a report by the person who leaves, and one about them
    by_him = client.post(
        f"{API}/reports",
        json={"user_id": teacher.id, "reason": "other", "note": "Pieters eigen notitie"},
        headers=pro.headers,
    )
    about_him = client.post(
        f"{API}/reports",
        json={"user_id": pro.id, "message_id": his, "reason": "privacy"},
        headers=teacher.headers,
    )
    assert by_him.status_code == about_him.status_code == 201

    assert client.delete(f"{API}/me", headers=pro.headers).status_code == 204

    listed = client.get(f"{API}/matches/{match_id}/messages", headers=teacher.headers)
    assert listed.status_code == 200, listed.text
    items = {m["id"]: m for m in listed.json()["items"]}
    assert items[hers]["body"] == "Hoi Pieter, dinsdag?"  # my own words stay mine
    assert items[his]["body"] is None and items[his]["removed"] is True
    assert items[his]["sender_id"] == pro.id
    assert listed.json()["can_write"] is False
    assert listed.json()["partner_read_up_to"] is None
    match = client.get(f"{API}/matches/{match_id}", headers=teacher.headers).json()
    assert match["partner"]["name"] == FORMER
    assert "06-12345678" not in listed.text

    # nothing of his words left in the database
    db.rollback()
    assert db.scalars(select(Message.body).where(col(Message.sender_id) == pro.id)).all() == [None]
    assert db.scalars(select(MatchRead).where(col(MatchRead.user_id) == pro.id)).all() == []
    notes = dict(db.execute(select(Report.reporter_id, Report.note)).all())
    assert notes[pro.id] is None
    # the report about him stays with his coordinator, without the erased text
    coordinator = make_staff("coordinator", ["den-haag"])
    rows = client.get(f"{API}/coordinator/reports", headers=coordinator.headers).json()["items"]
    [row] = [r for r in rows if r["reported"]["id"] == pro.id]
    assert row["reported"]["name"] == FORMER
    assert row["message"] == {
        "id": his,
        "sender_id": pro.id,
        "body": None,
        "removed": True,
        "created_at": row["message"]["created_at"],
    }


def test_purge_strips_old_conversations_and_resolved_reports(
    client, db: Session, make_participant, make_staff
) -> None:
    old_t, old_p = make_participant("teacher"), make_participant("professional")
    old_match = mutual_match(client, old_t, old_p)["id"]
    old_message = send(client, old_t, old_match, "Lang geleden")
    filed = client.post(
        f"{API}/reports", json={"user_id": old_p.id, "reason": "spam"}, headers=old_t.headers
    ).json()
    coordinator = make_staff("coordinator", ["rotterdam"])
    client.post(
        f"{API}/coordinator/reports/{filed['id']}/resolve", json={}, headers=coordinator.headers
    )
    open_report = client.post(
        f"{API}/reports", json={"user_id": old_t.id, "reason": "spam"}, headers=old_p.headers
    ).json()
    client.post(f"{API}/matches/{old_match}/exit", json={}, headers=old_t.headers)

    clock.advance(timedelta(days=40))
    for person in (old_t, old_p):
        login(client, person.email)  # still active: kept, only their old trajectory is stripped
    new_t, new_p = make_participant("teacher"), make_participant("professional")
    recent_match = mutual_match(client, new_t, new_p)["id"]
    recent = send(client, new_t, recent_match, "Net gestuurd")
    cli(["purge", "--days", "30"])

    db.rollback()
    assert db.get(Message, old_message).body is None
    assert db.get(Message, recent).body == "Net gestuurd"
    assert db.get(Report, filed["id"]) is None  # resolved more than 30 days ago
    assert db.get(Report, open_report["id"]) is not None  # open ones wait for a coordinator


def test_a_block_withdraws_the_conversation_from_the_blocked_sides_replay(
    client: TestClient, make_participant
) -> None:
    """The blocked side loses the conversation, also from the stored events a stream would
    replay after a reconnect (Last-Event-ID); the blocker keeps their own."""
    from app.db import get_engine
    from app.models import Event

    teacher, pro = make_participant("teacher"), make_participant("professional")
    colleague, other = make_participant("teacher"), make_participant("professional")
    match = mutual_match(client, teacher, pro)
    kept = mutual_match(client, colleague, other)
    send(client, teacher, match["id"], "Zullen we dinsdag bellen?")
    send(client, pro, match["id"], "Prima, om tien uur.")
    send(client, colleague, kept["id"], "Hallo daar")

    def message_events(user_id: int) -> list[dict[str, object]]:
        with Session(get_engine()) as session:
            rows = session.scalars(
                select(Event).where(col(Event.user_id) == user_id, col(Event.type) == "message")
            ).all()
            return [row.data for row in rows]

    assert [e["body"] for e in message_events(pro.id)] == ["Zullen we dinsdag bellen?"]
    blocked = client.post(f"{API}/blocks", json={"user_id": pro.id}, headers=teacher.headers)
    assert blocked.status_code == 201, blocked.text

    assert message_events(pro.id) == []  # nothing of it left to replay
    assert [e["body"] for e in message_events(teacher.id)] == ["Prima, om tien uur."]
    assert [e["body"] for e in message_events(other.id)] == ["Hallo daar"]  # another pair
    gone = client.get(f"{API}/matches/{match['id']}/messages", headers=pro.headers)
    assert gone.status_code == 404
