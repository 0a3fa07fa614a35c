"""Lists an app needs: my swipes, my blocks, read-all and the unread count."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import API, Person, mutual_match


def swipe(client: TestClient, who: Person, target: Person, decision: str) -> None:
    response = client.post(
        f"{API}/swipes", json={"target_id": target.id, "decision": decision}, headers=who.headers
    )
    assert response.status_code == 201, response.text


def all_pages(client: TestClient, who: Person, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        response = client.get(f"{API}{path}", params=query, headers=who.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_my_swipes_newest_first_with_undoable_marked(client, make_participant):
    me = make_participant("teacher")
    liked, passed, matched = (make_participant("professional") for _ in range(3))
    swipe(client, me, liked, "like")
    swipe(client, me, passed, "pass")
    mutual_match(client, me, matched)
    other = make_participant("teacher")
    swipe(client, other, liked, "like")  # not mine: never listed

    items = all_pages(client, me, "/me/swipes", limit=1)
    assert [(i["target_id"], i["decision"], i["undoable"]) for i in items] == [
        (matched.id, "like", False),
        (passed.id, "pass", True),
        (liked.id, "like", True),
    ]
    assert all(i["created_at"].endswith(("Z", "+00:00")) for i in items)
    likes = client.get(f"{API}/me/swipes", params={"decision": "like"}, headers=me.headers)
    assert [i["target_id"] for i in likes.json()["items"]] == [matched.id, liked.id]
    # what the list says is what undo does
    assert client.delete(f"{API}/swipes/{matched.id}", headers=me.headers).status_code == 409
    assert client.delete(f"{API}/swipes/{liked.id}", headers=me.headers).status_code == 204
    after = [i["target_id"] for i in all_pages(client, me, "/me/swipes")]
    assert after == [matched.id, passed.id]


def test_my_blocks_newest_first_and_only_mine(client, make_participant, make_staff):
    me, other = make_participant("teacher"), make_participant("teacher")
    first, second = make_participant("professional"), make_participant("professional")
    for target in (first, second):
        blocked = client.post(f"{API}/blocks", json={"user_id": target.id}, headers=me.headers)
        assert blocked.status_code == 201
    client.post(f"{API}/blocks", json={"user_id": first.id}, headers=other.headers)

    items = all_pages(client, me, "/me/blocks", limit=1)
    assert [(i["user_id"], i["name"]) for i in items] == [
        (second.id, second.name),
        (first.id, first.name),
    ]
    assert client.delete(f"{API}/blocks/{second.id}", headers=me.headers).status_code == 204
    assert [i["user_id"] for i in all_pages(client, me, "/me/blocks")] == [first.id]
    assert [i["user_id"] for i in all_pages(client, other, "/me/blocks")] == [first.id]

    coordinator = make_staff("coordinator", regions=["rotterdam"])
    assert client.get(f"{API}/me/blocks", headers=coordinator.headers).status_code == 403
    bad = client.get(f"{API}/me/blocks", params={"cursor": "WyJ4IiwxXQ"}, headers=me.headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"


def unread(client: TestClient, who: Person) -> int:
    response = client.get(f"{API}/me/unread", headers=who.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["notifications"])


def test_unread_count_and_read_all(client, make_participant):
    teacher, pro, pro2 = (
        make_participant("teacher"),
        make_participant("professional"),
        make_participant("professional"),
    )
    assert unread(client, teacher) == 0
    match = mutual_match(client, teacher, pro)
    client.post(f"{API}/matches/{match['id']}/exit", headers=pro.headers)
    assert unread(client, teacher) == 2  # match_created, match_ended
    assert unread(client, pro) == 1
    newest = client.get(f"{API}/notifications", headers=teacher.headers).json()["items"][0]

    second = mutual_match(client, teacher, pro2)  # arrives after the app looked
    assert second["status"] == "trial"
    done = client.post(
        f"{API}/notifications/read-all", params={"up_to_id": newest["id"]}, headers=teacher.headers
    )
    assert done.status_code == 204
    assert unread(client, teacher) == 1
    assert unread(client, pro) == 1  # someone else's stay unread
    assert client.post(f"{API}/notifications/read-all", headers=teacher.headers).status_code == 204
    assert unread(client, teacher) == 0
    listed = client.get(f"{API}/notifications", headers=teacher.headers).json()["items"]
    assert listed and all(n["read"] for n in listed)
    assert client.get(f"{API}/me/unread").status_code == 401
