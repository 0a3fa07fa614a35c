"""The feed's paging rule: a pass through the deck never repeats a card and never skips one,
even when the viewer or a candidate edits their profile between two pages."""

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.errors import AppError
from app.pagination import MAX_ID, MAX_SHOWN, decode_shown, encode_shown
from tests.api.test_feed import get_feed, make_varied_pool, swipe
from tests.conftest import API, Person


def ids_of(page: dict[str, Any]) -> list[int]:
    return [item["profile"]["id"] for item in page["items"]]


def walk(client: TestClient, who: Person, cursor: str | None, limit: int = 2) -> list[int]:
    """The rest of a pass from this cursor (none: the pass has ended)."""
    seen: list[int] = []
    if cursor is None:
        return seen
    for _ in range(20):
        page = get_feed(client, who, limit=limit, cursor=cursor)
        seen += ids_of(page)
        if page["next_cursor"] is None:
            return seen
        cursor = page["next_cursor"]
    raise AssertionError("the pass never ended")


def test_the_viewer_edits_their_profile_between_pages(client, make_participant):
    teacher, pros = make_varied_pool(make_participant)
    before = ids_of(get_feed(client, teacher, limit=100))
    first = get_feed(client, teacher, limit=2)
    shown = ids_of(first)
    assert shown == before[:2]

    # The teacher now teaches economics in Dordrecht: the economist there was low in the
    # deck and becomes its best card.
    edit = client.patch(
        f"{API}/me/profile",
        json={"subjects": ["economie"], "place": "dordrecht"},
        headers=teacher.headers,
    )
    assert edit.status_code == 200, edit.text
    after = ids_of(get_feed(client, teacher, limit=100))
    economist = pros[2].id
    assert after[0] == economist and before.index(economist) >= 2  # the edit mattered

    second = get_feed(client, teacher, limit=2, cursor=first["next_cursor"])
    not_shown = [i for i in after if i not in shown]
    assert ids_of(second) == not_shown[:2]  # the new top one first, nothing of page 1
    rest = ids_of(second) + walk(client, teacher, second["next_cursor"])
    assert len(rest) == len(set(rest)) and not set(rest) & set(shown)  # no card twice
    assert set(rest) == set(not_shown)  # and none skipped: the whole deck as it is now


def test_a_candidate_edits_their_profile_between_pages(client, make_participant):
    teacher, pros = make_varied_pool(make_participant)
    first = get_feed(client, teacher, limit=2)
    shown = ids_of(first)
    bottom = ids_of(get_feed(client, teacher, limit=100))[-1]
    climber = next(p for p in pros if p.id == bottom)
    # The last card becomes the teacher's twin: same subject, same city, same months.
    edit = client.patch(
        f"{API}/me/profile",
        json={
            "subjects": ["natuurkunde"],
            "place": "rotterdam",
            "available_months": [1, 2, 3, 4, 5, 6],
            "hours_per_month": 8,
            "goals": ["teach_pupils_my_field", "hybrid_career"],
            "outcomes": ["richer_experience"],
        },
        headers=climber.headers,
    )
    assert edit.status_code == 200, edit.text
    fresh = ids_of(get_feed(client, teacher, limit=100))
    assert fresh.index(climber.id) < 2  # it would now be on the first page

    second = get_feed(client, teacher, limit=2, cursor=first["next_cursor"])
    assert ids_of(second)[0] == climber.id  # not skipped: it comes next
    rest = ids_of(second) + walk(client, teacher, second["next_cursor"])
    assert sorted(shown + rest) == sorted(p.id for p in pros)

    # A card already shown that changes is not shown again in this pass.
    seen_card = next(p for p in pros if p.id == shown[0])
    client.patch(f"{API}/me/profile", json={"hours_per_month": 2}, headers=seen_card.headers)
    again = get_feed(client, teacher, limit=100, cursor=first["next_cursor"])
    assert shown[0] not in ids_of(again) and shown[1] not in ids_of(again)


def test_swiped_cards_leave_the_cursor_and_a_new_pass_starts_from_the_best(
    client, make_participant
):
    teacher, pros = make_varied_pool(make_participant)
    first = get_feed(client, teacher, limit=2)
    by_id = {p.id: p for p in pros}
    swipe(client, teacher, by_id[ids_of(first)[0]], "pass")
    second = get_feed(client, teacher, limit=2, cursor=first["next_cursor"])
    assert set(decode_shown(second["next_cursor"])) == {ids_of(first)[1], *ids_of(second)}
    # Without a cursor: a new pass, the unswiped card of page 1 is back on top.
    assert ids_of(get_feed(client, teacher, limit=1)) == [ids_of(first)[1]]


def problem_code(response: Any) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["code"])


def raw(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        raw(b""),
        raw(b"\x02\x05"),  # an unknown version
        raw(b"\x01\x05\x00"),  # a repeated id (delta 0)
        raw(b"\x01\x85"),  # a varint cut short
        raw(b"\x01\xff\xff\xff\xff\x7f"),  # beyond the id columns
        raw(b"\x01\x80\x80\x80\x80\x80\x01"),  # a varint longer than any id needs
        "WzAuNSwxXQ",  # the old (score, id) position
        encode_shown(range(1, MAX_SHOWN + 2)),  # more than one pass remembers
        "A" * 4097,  # longer than the parameter allows
    ],
)
def test_a_bad_feed_cursor_is_a_422_and_nothing_else(client, make_participant, cursor):
    teacher = make_participant("teacher")
    make_participant("professional")
    response = client.get(f"{API}/feed", params={"cursor": cursor}, headers=teacher.headers)
    assert problem_code(response) in ("invalid_cursor", "validation_error")


def test_the_cursor_codec_round_trips_and_stays_small():
    for ids in ([1], [MAX_ID], list(range(1, MAX_SHOWN + 1)), list(range(5, 80_000, 167))):
        cursor = encode_shown(reversed(ids))
        assert decode_shown(cursor) == sorted(ids)
        assert len(cursor) <= 4096
    spread = encode_shown(range(MAX_ID - MAX_SHOWN * 4_000_000, MAX_ID, 4_000_000))
    assert len(spread) <= 4096  # MAX_SHOWN ids far apart still fit the parameter
    dense = encode_shown(range(1, 100_000, 200))  # a pass at 100 000 participants
    assert len(dense) < 2 * MAX_SHOWN * 4 / 3 + 4
    with pytest.raises(AppError):
        decode_shown(encode_shown(range(1, MAX_SHOWN + 2)))
