"""Safety reports: filed by a participant (optionally with a block), seen and resolved by the
reported person's regional coordinator, with the reported message's text and only that."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import API, Person, database_snapshot, mutual_match

REPORTS = f"{API}/reports"
COORDINATOR_REPORTS = f"{API}/coordinator/reports"


def send(client: TestClient, person: Person, match_id: int, body: str) -> int:
    response = client.post(
        f"{API}/matches/{match_id}/messages",
        json={"body": body, "client_id": f"{person.id}-{abs(hash(body))}"},
        headers=person.headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def report(client: TestClient, person: Person, **body: Any) -> Any:
    return client.post(REPORTS, json=body, headers=person.headers)


@pytest.fixture
def conversation(client, make_participant):  # type: ignore[no-untyped-def]
    """A teacher in Rotterdam and a professional in Den Haag who wrote to each other."""
    teacher = make_participant("teacher", name="Anouk Docent")
    pro = make_participant("professional", name="Pieter Prof", place="den-haag")
    match_id = mutual_match(client, teacher, pro)["id"]
    ids = {
        "hello": send(client, teacher, match_id, "Hoi Pieter, leuk je te spreken."),
        "private": send(client, pro, match_id, "Mijn privénummer is 06-12345678."),
        "nasty": send(client, pro, match_id, "Je bent een waardeloze docent."),
    }
    return teacher, pro, match_id, ids


def test_a_reported_message_reaches_the_reported_persons_coordinator_and_nothing_else(
    client, conversation, make_staff
) -> None:
    teacher, pro, match_id, ids = conversation
    filed = report(
        client,
        teacher,
        user_id=pro.id,
        message_id=ids["nasty"],
        reason="harassment",
        note="Dit gaat al een week zo.",
    )
    assert filed.status_code == 201, filed.text
    out = filed.json()
    assert out["user_id"] == pro.id and out["match_id"] == match_id
    assert out["message_id"] == ids["nasty"] and out["status"] == "open"
    assert out["blocked"] is False

    den_haag = make_staff("coordinator", ["den-haag"])
    listed = client.get(COORDINATOR_REPORTS, headers=den_haag.headers)
    assert listed.status_code == 200, listed.text
    [row] = listed.json()["items"]
    assert row["reason"] == "harassment" and row["note"] == "Dit gaat al een week zo."
    assert row["region"] == "den-haag"
    assert row["reporter"]["id"] == teacher.id and row["reported"]["id"] == pro.id
    assert row["reported"]["email"] == pro.email  # the reported person is in my region
    assert row["reporter"]["email"] is None  # the reporter is not
    assert row["message"]["body"] == "Je bent een waardeloze docent."
    assert row["message"]["sender_id"] == pro.id
    # only that message of the conversation
    text = listed.text
    assert "privénummer" not in text and "leuk je te spreken" not in text

    # not the coordinator of the reporter's region: the case is the reported person's
    rotterdam = make_staff("coordinator", ["rotterdam"])
    assert client.get(COORDINATOR_REPORTS, headers=rotterdam.headers).json()["items"] == []
    resolve = client.post(
        f"{COORDINATOR_REPORTS}/{row['id']}/resolve", json={}, headers=rotterdam.headers
    )
    assert resolve.status_code == 404
    assert (
        client.get(f"{COORDINATOR_REPORTS}?region=den-haag", headers=rotterdam.headers).status_code
        == 404
    )
    # and coordinators still cannot open the conversation itself
    assert (
        client.get(f"{API}/matches/{match_id}/messages", headers=den_haag.headers).status_code
        == 404
    )


def test_reporting_never_tells_the_reported_person(client, conversation) -> None:
    teacher, pro, _, ids = conversation
    before = {
        "notifications": client.get(f"{API}/notifications", headers=pro.headers).json(),
        "unread": client.get(f"{API}/me/unread", headers=pro.headers).json(),
        "match": client.get(f"{API}/matches", headers=pro.headers).json(),
    }
    filed = report(client, teacher, user_id=pro.id, message_id=ids["nasty"], reason="harassment")
    assert filed.status_code == 201
    after = {
        "notifications": client.get(f"{API}/notifications", headers=pro.headers).json(),
        "unread": client.get(f"{API}/me/unread", headers=pro.headers).json(),
        "match": client.get(f"{API}/matches", headers=pro.headers).json(),
    }
    assert after == before
    export = client.get(f"{API}/me/export", headers=pro.headers).json()
    assert export["reports"] == []
    assert "harassment" not in client.get(f"{API}/me/export", headers=pro.headers).text
    mine = client.get(f"{API}/me/export", headers=teacher.headers).json()["reports"]
    assert [(r["user_id"], r["reason"]) for r in mine] == [(pro.id, "harassment")]


def test_report_and_block_in_one_call(client, conversation) -> None:
    teacher, pro, match_id, ids = conversation
    filed = report(
        client, teacher, user_id=pro.id, message_id=ids["nasty"], reason="harassment", block=True
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["blocked"] is True
    match = client.get(f"{API}/matches/{match_id}", headers=teacher.headers).json()
    assert match["status"] == "ended"
    # the blocked person lost the conversation; the blocker keeps it read-only
    assert client.get(f"{API}/matches/{match_id}/messages", headers=pro.headers).status_code == 404
    kept = client.get(f"{API}/matches/{match_id}/messages", headers=teacher.headers)
    assert kept.status_code == 200 and kept.json()["can_write"] is False
    # what the reported person is told is exactly what any block or exit tells
    types = [
        n["type"] for n in client.get(f"{API}/notifications", headers=pro.headers).json()["items"]
    ]
    assert types == ["match_ended", "match_created"]


def test_the_blocker_can_still_report_what_was_said(client, conversation) -> None:
    teacher, pro, _, ids = conversation
    assert (
        client.post(f"{API}/blocks", json={"user_id": pro.id}, headers=teacher.headers).status_code
        == 201
    )
    later = report(client, teacher, user_id=pro.id, message_id=ids["nasty"], reason="threat")
    assert later.status_code == 201, later.text
    assert later.json()["blocked"] is True
    # the blocked side has no conversation left to report from
    lost = report(client, pro, user_id=teacher.id, message_id=ids["hello"], reason="spam")
    assert lost.status_code == 404


def test_a_report_without_a_message(client, conversation, make_participant, make_staff) -> None:
    teacher, pro, match_id, _ = conversation
    about_match = report(client, pro, user_id=teacher.id, match_id=match_id, reason="fake_profile")
    assert about_match.status_code == 201, about_match.text
    # someone from the feed, never matched
    stranger = make_participant("professional", name="Onbekende")
    plain = report(client, teacher, user_id=stranger.id, reason="spam", note="Reclame in bio")
    assert plain.status_code == 201, plain.text
    assert plain.json()["match_id"] is None
    rotterdam = make_staff("coordinator", ["rotterdam"])
    rows = client.get(COORDINATOR_REPORTS, headers=rotterdam.headers).json()["items"]
    assert [(r["reported"]["id"], r["message"]) for r in rows] == [
        (stranger.id, None),
        (teacher.id, None),
    ]


def test_invalid_reports_are_refused_and_write_nothing(
    client, db, conversation, make_participant
) -> None:
    teacher, pro, match_id, ids = conversation
    others = [make_participant("teacher"), make_participant("professional")]
    other_match = mutual_match(client, others[0], others[1])["id"]
    foreign = send(client, others[1], other_match, "Elders gezegd")
    paused = make_participant("professional", discoverable=False)
    before = database_snapshot(db)
    cases = [
        (422, {"user_id": teacher.id, "reason": "spam"}),  # myself
        (422, {"user_id": pro.id, "reason": "no_such_reason"}),
        (422, {"user_id": pro.id}),
        (422, {"user_id": pro.id, "reason": "spam", "note": "x" * 2001}),
        (422, {"user_id": pro.id, "reason": "spam", "extra": 1}),
        (422, {"user_id": pro.id, "message_id": ids["hello"], "reason": "spam"}),  # my own words
        (
            422,
            {
                "user_id": pro.id,
                "message_id": ids["nasty"],
                "match_id": other_match,
                "reason": "spam",
            },
        ),
        (
            404,
            {"user_id": others[1].id, "message_id": foreign, "reason": "spam"},
        ),  # not my conversation
        (404, {"user_id": others[1].id, "match_id": other_match, "reason": "spam"}),
        (404, {"user_id": pro.id, "match_id": other_match, "reason": "spam"}),
        (404, {"user_id": 999_999, "reason": "spam"}),
        (404, {"user_id": paused.id, "reason": "spam"}),  # nobody I can see
        (404, {"user_id": pro.id, "message_id": 999_999, "reason": "spam"}),
        (422, {"user_id": 0, "reason": "spam"}),
    ]
    for status, body in cases:
        response = client.post(REPORTS, json=body, headers=teacher.headers)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert database_snapshot(db) == before


def test_coordinators_resolve_reports_once(client, conversation, make_staff) -> None:
    teacher, pro, _, ids = conversation
    filed = report(client, teacher, user_id=pro.id, message_id=ids["nasty"], reason="harassment")
    report_id = filed.json()["id"]
    coordinator = make_staff("coordinator", ["den-haag"])
    done = client.post(
        f"{COORDINATOR_REPORTS}/{report_id}/resolve",
        json={"note": "Gesprek gehad, waarschuwing gegeven."},
        headers=coordinator.headers,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved"
    assert done.json()["resolved_by_id"] == coordinator.id
    assert done.json()["resolution_note"] == "Gesprek gehad, waarschuwing gegeven."
    again = client.post(
        f"{COORDINATOR_REPORTS}/{report_id}/resolve", json={}, headers=coordinator.headers
    )
    assert again.status_code == 409
    assert client.get(COORDINATOR_REPORTS, headers=coordinator.headers).json()["items"] == []
    resolved = client.get(
        COORDINATOR_REPORTS, params={"status": "resolved"}, headers=coordinator.headers
    ).json()["items"]
    assert [r["id"] for r in resolved] == [report_id]
    admin = make_staff("admin")
    assert [
        r["id"]
        for r in client.get(
            COORDINATOR_REPORTS, params={"status": "resolved"}, headers=admin.headers
        ).json()["items"]
    ] == [report_id]
    for missing in (0, 999_999, 2**31):
        response = client.post(
            f"{COORDINATOR_REPORTS}/{missing}/resolve", json={}, headers=coordinator.headers
        )
        assert response.status_code == 404


def test_reports_are_rate_limited_per_reporter(client, conversation, monkeypatch) -> None:
    from app.config import get_settings

    monkeypatch.setenv("REPORTS_PER_DAY", "2")
    get_settings.cache_clear()
    teacher, pro, _, _ = conversation
    codes = [report(client, teacher, user_id=pro.id, reason="spam").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert report(client, pro, user_id=teacher.id, reason="spam").status_code == 201
