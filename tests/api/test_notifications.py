"""GET /api/v1/notifications and POST /api/v1/notifications/{id}/read."""

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.models import Notification
from tests.conftest import API, Person, mutual_match


def get_page(client: TestClient, who: Person, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/notifications", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def all_items(client: TestClient, who: Person, **params: Any) -> list[dict[str, Any]]:
    return get_page(client, who, limit=100, **params)["items"]


def mark_read(client: TestClient, who: Person, notification_id: int):
    return client.post(f"{API}/notifications/{notification_id}/read", headers=who.headers)


def three_events(client: TestClient, make_participant) -> tuple[Person, Person, dict[str, Any]]:
    """teacher and pro match, then teacher and pro confirm (in that order)."""
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)
    confirmed = client.post(f"{API}/matches/{match['id']}/confirm", headers=teacher.headers)
    assert confirmed.status_code == 200, confirmed.text
    activated = client.post(f"{API}/matches/{match['id']}/confirm", headers=pro.headers)
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    return teacher, pro, match


def test_mutual_like_notifies_both_partners(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    assert all_items(client, teacher) == []

    match = mutual_match(client, teacher, pro)

    for who, partner in ((teacher, pro), (pro, teacher)):
        items = all_items(client, who)
        assert [n["type"] for n in items] == ["match_created"]
        note = items[0]
        assert note["data"]["match_id"] == match["id"]
        assert note["data"]["partner_id"] == partner.id
        assert note["read"] is False
        assert isinstance(note["id"], int | str)
        created = datetime.fromisoformat(note["created_at"].replace("Z", "+00:00"))
        assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0


def test_a_one_sided_like_notifies_nobody(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    response = client.post(
        f"{API}/swipes", json={"target_id": pro.id, "decision": "like"}, headers=teacher.headers
    )
    assert response.status_code == 201
    assert all_items(client, pro) == []
    assert all_items(client, teacher) == []


def test_list_is_newest_first_and_pages_with_a_cursor(client, make_participant):
    teacher, pro, match = three_events(client, make_participant)
    # pro: match_created, partner_confirmed (teacher confirmed first), match_active.
    items = all_items(client, pro)
    assert [n["type"] for n in items] == ["match_active", "partner_confirmed", "match_created"]
    assert all(n["data"]["match_id"] == match["id"] for n in items)
    created = [datetime.fromisoformat(n["created_at"].replace("Z", "+00:00")) for n in items]
    assert created == sorted(created, reverse=True)
    assert [n["type"] for n in all_items(client, teacher)] == ["match_active", "match_created"]

    seen: list[Any] = []
    pages = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor is not None:
            params["cursor"] = cursor
        page = get_page(client, pro, **params)
        pages.append(page)
        seen += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10
    assert [len(p["items"]) for p in pages] == [1, 1, 1]
    assert seen == [n["id"] for n in items]
    assert pages[-1]["next_cursor"] is None

    two = get_page(client, pro, limit=2)
    assert [n["id"] for n in two["items"]] == seen[:2] and two["next_cursor"]
    rest = get_page(client, pro, limit=2, cursor=two["next_cursor"])
    assert [n["id"] for n in rest["items"]] == seen[2:] and rest["next_cursor"] is None


def test_mark_read(client, db: Session, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    mutual_match(client, teacher, pro)
    note = all_items(client, pro)[0]

    response = mark_read(client, pro, note["id"])
    assert response.status_code == 204
    assert response.content == b""
    assert all_items(client, pro)[0]["read"] is True
    # Reading it again is harmless.
    assert mark_read(client, pro, note["id"]).status_code == 204
    assert all_items(client, pro)[0]["read"] is True
    # The partner's own notification is untouched.
    assert all_items(client, teacher)[0]["read"] is False


def test_reading_someone_elses_notification_is_404(client, db: Session, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    stranger = make_participant("teacher")
    mutual_match(client, teacher, pro)
    note = all_items(client, pro)[0]

    for intruder in (teacher, stranger):
        response = mark_read(client, intruder, note["id"])
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    for impossible in (999_999, 0, 2**31, 10**20):
        response = mark_read(client, pro, impossible)
        assert response.status_code == 404, response.text

    assert all_items(client, pro)[0]["read"] is False
    db.rollback()
    assert db.scalars(select(Notification.read_at)).all() == [None, None]


def test_unread_filter(client, make_participant):
    _, pro, _ = three_events(client, make_participant)
    items = all_items(client, pro)
    assert len(items) == 3
    assert [n["id"] for n in all_items(client, pro, unread="true")] == [n["id"] for n in items]
    assert all_items(client, pro, unread="false") == []

    middle = items[1]
    assert mark_read(client, pro, middle["id"]).status_code == 204

    unread = all_items(client, pro, unread="true")
    assert [n["id"] for n in unread] == [items[0]["id"], items[2]["id"]]
    assert all(n["read"] is False for n in unread)
    read = all_items(client, pro, unread="false")
    assert [n["id"] for n in read] == [middle["id"]]
    assert read[0]["read"] is True
    assert len(all_items(client, pro)) == 3

    # The filter pages too.
    first = get_page(client, pro, unread="true", limit=1)
    assert [n["id"] for n in first["items"]] == [items[0]["id"]]
    second = get_page(client, pro, unread="true", limit=1, cursor=first["next_cursor"])
    assert [n["id"] for n in second["items"]] == [items[2]["id"]]
    assert second["next_cursor"] is None


def test_notifications_need_a_token_and_reject_bad_paging(client, make_participant):
    assert client.get(f"{API}/notifications").status_code == 401
    assert client.post(f"{API}/notifications/1/read").status_code == 401
    teacher = make_participant("teacher")
    for params in ({"limit": 101}, {"limit": 0}, {"cursor": "bm9wZQ"}, {"unread": "maybe"}):
        response = client.get(f"{API}/notifications", params=params, headers=teacher.headers)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
