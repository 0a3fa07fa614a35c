"""GET /api/v1/feed: who appears in my swipe deck, in which order, one page at a time."""

import re
from typing import Any

from fastapi.testclient import TestClient

from app.schemas.feed import FeedItemOut, FeedPageOut
from app.schemas.profiles import ProfileCard
from tests.conftest import API, Person, mutual_match
from tests.utils import block, feed_ids, swipe

DUTCH_WORDS = re.compile(
    r"\b(jullie|beiden|allebei|elkaar|van|bij|het|de|en|in|geen|maar|binnen|je|regio|"
    r"vakgebied|verrassingsmatch|uur|maand|maanden|km|sluit|aan)\b",
    re.IGNORECASE,
)
ENGLISH_WORDS = re.compile(r"\b(you|your|both|the|share|shared|within|months|hours)\b")


def get_feed(client: TestClient, who: Person, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/feed", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def set_discoverable(client: TestClient, who: Person, value: bool) -> None:
    response = client.patch(f"{API}/me/profile", json={"discoverable": value}, headers=who.headers)
    assert response.status_code == 200, response.text
    assert response.json()["discoverable"] is value


# --- my own profile must be complete -----------------------------------------------------


def test_feed_without_profile_is_409(client, make_participant):
    teacher = make_participant("teacher", profile=False)
    response = client.get(f"{API}/feed", headers=teacher.headers)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 409 and body["detail"]


def test_feed_with_partial_profile_is_409_until_complete(client, make_participant):
    teacher = make_participant("teacher", profile=False)
    make_participant("professional")
    partial = client.patch(
        f"{API}/me/profile",
        json={"headline": "Docent wiskunde", "organisation": "Het Lyceum", "place": "rotterdam"},
        headers=teacher.headers,
    )
    assert partial.status_code == 200, partial.text
    assert partial.json()["complete"] is False
    assert client.get(f"{API}/feed", headers=teacher.headers).status_code == 409

    rest = client.patch(
        f"{API}/me/profile",
        json={
            "subjects": ["wiskunde"],
            "hours_per_month": 6,
            "available_months": [2, 3, 4],
            "goals": ["other_world"],
        },
        headers=teacher.headers,
    )
    assert rest.status_code == 200, rest.text
    assert rest.json()["complete"] is True
    assert len(get_feed(client, teacher)["items"]) == 1


def test_feed_needs_a_token(client):
    response = client.get(f"{API}/feed")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_coordinator_gets_403_on_feed(client, make_staff):
    coordinator = make_staff("coordinator", regions=["rotterdam"])
    response = client.get(f"{API}/feed", headers=coordinator.headers)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


# --- who appears ---------------------------------------------------------------------------


def test_feed_shows_only_complete_discoverable_profiles_of_the_other_side(client, make_participant):
    teacher = make_participant("teacher")
    other_teacher = make_participant("teacher")
    pro = make_participant("professional")
    make_participant("professional", profile=False)
    partial = make_participant("professional", profile=False)
    assert (
        client.patch(
            f"{API}/me/profile", json={"headline": "Data-analist"}, headers=partial.headers
        ).status_code
        == 200
    )
    paused = make_participant("professional")
    set_discoverable(client, paused, False)

    assert feed_ids(client, teacher) == [pro.id]
    # And the other way round: a professional sees both complete teachers, never themselves.
    assert sorted(feed_ids(client, pro)) == sorted([teacher.id, other_teacher.id])

    item = get_feed(client, teacher)["items"][0]
    card = item["profile"]
    assert card["id"] == pro.id
    assert card["side"] == "professional"
    assert card["name"] == pro.name
    assert card["headline"] == "Ingenieur tramonderhoud"
    assert card["region"] == "rotterdam"
    # The feed card is public: no contact details, no email, no private fields.
    assert not card.get("contact")
    for private in ("email", "weights", "manager_approval", "confidentiality"):
        assert private not in card
    assert "pro.contact@example.org" not in str(item)


def test_feed_never_shows_anyone_i_swiped(client, make_participant):
    teacher = make_participant("teacher")
    liked = make_participant("professional")
    passed = make_participant("professional")
    fresh = make_participant("professional")
    assert sorted(feed_ids(client, teacher)) == sorted([liked.id, passed.id, fresh.id])

    swipe(client, teacher, liked, "like")
    swipe(client, teacher, passed, "pass")

    assert feed_ids(client, teacher) == [fresh.id]


def test_feed_never_shows_blocked_people_either_way(client, make_participant):
    teacher = make_participant("teacher")
    blocked_by_me = make_participant("professional")
    blocker = make_participant("professional")
    other = make_participant("professional")

    block(client, teacher, blocked_by_me)
    block(client, blocker, teacher)

    assert feed_ids(client, teacher) == [other.id]
    assert teacher.id not in feed_ids(client, blocked_by_me)
    assert teacher.id not in feed_ids(client, blocker)
    assert teacher.id in feed_ids(client, other)


def test_feed_hides_someone_at_their_ongoing_match_limit(client, make_participant):
    teacher = make_participant("teacher")
    other_teacher = make_participant("teacher")
    pro = make_participant("professional")
    other_pro = make_participant("professional")
    assert pro.id in feed_ids(client, teacher)

    mutual_match(client, other_teacher, pro)  # pro is now in a trial match (limit 1)

    assert feed_ids(client, teacher) == [other_pro.id]
    assert feed_ids(client, other_pro) == [teacher.id]


def test_feed_never_shows_a_match_partner_also_after_exit(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    onlooker_teacher = make_participant("teacher")
    onlooker_pro = make_participant("professional")
    before = {i["profile"]["id"]: i["score"] for i in get_feed(client, onlooker_teacher)["items"]}
    match = mutual_match(client, teacher, pro)

    assert onlooker_pro.id in feed_ids(client, teacher)
    assert pro.id not in feed_ids(client, teacher)
    assert pro.id not in feed_ids(client, onlooker_teacher)
    assert teacher.id not in feed_ids(client, onlooker_pro)

    exited = client.post(f"{API}/matches/{match['id']}/exit", json={}, headers=teacher.headers)
    assert exited.status_code == 200, exited.text

    # Both are back in the pool for everyone else ...
    assert pro.id in feed_ids(client, onlooker_teacher)
    assert teacher.id in feed_ids(client, onlooker_pro)
    # ... and the exit did not lower anyone's ranking.
    after = {i["profile"]["id"]: i["score"] for i in get_feed(client, onlooker_teacher)["items"]}
    assert after == before
    # ... but never suggested to each other again.
    assert pro.id not in feed_ids(client, teacher)
    assert teacher.id not in feed_ids(client, pro)
    assert onlooker_pro.id in feed_ids(client, teacher)
    assert onlooker_teacher.id in feed_ids(client, pro)


def test_feed_respects_my_max_travel_km(client, make_participant):
    teacher = make_participant("teacher", place="rotterdam", max_travel_km=10)
    near = make_participant("professional", place="rotterdam")
    far = make_participant("professional", place="groningen", max_travel_km=300)

    assert feed_ids(client, teacher) == [near.id]

    wider = client.patch(f"{API}/me/profile", json={"max_travel_km": 300}, headers=teacher.headers)
    assert wider.status_code == 200, wider.text
    assert sorted(feed_ids(client, teacher)) == sorted([near.id, far.id])


def test_feed_hides_someone_whose_own_max_travel_km_excludes_me(client, make_participant):
    # Rotterdam ↔ Delft is ~13 km, Rotterdam ↔ Utrecht ~50 km.
    teacher = make_participant("teacher", place="rotterdam", max_travel_km=300)
    near = make_participant("professional", place="delft", max_travel_km=20)
    stays_home = make_participant("professional", place="utrecht", max_travel_km=20)
    travels = make_participant("professional", place="utrecht", max_travel_km=60)

    # Within my limit, but beyond stays_home's own: their deck never shows me, so mine
    # does not show them.
    assert sorted(feed_ids(client, teacher)) == sorted([near.id, travels.id])
    assert teacher.id not in feed_ids(client, stays_home)

    wider = client.patch(
        f"{API}/me/profile", json={"max_travel_km": 60}, headers=stays_home.headers
    )
    assert wider.status_code == 200, wider.text
    assert sorted(feed_ids(client, teacher)) == sorted([near.id, stays_home.id, travels.id])
    assert teacher.id in feed_ids(client, stays_home)


def test_feed_travel_limits_are_the_same_rule_both_ways(client, make_participant):
    homebody = make_participant("teacher", place="rotterdam", max_travel_km=20)
    traveller = make_participant("teacher", place="rotterdam", max_travel_km=300)
    pro = make_participant("professional", place="utrecht", max_travel_km=300)

    # Neither sees the other when one limit excludes them, whoever browses.
    assert feed_ids(client, homebody) == []
    assert feed_ids(client, pro) == [traveller.id]
    assert feed_ids(client, traveller) == [pro.id]


def test_feed_hides_those_who_passed_on_me_until_they_undo(client, make_participant):
    teacher = make_participant("teacher")
    passer = make_participant("professional")
    liker = make_participant("professional")
    undecided = make_participant("professional")
    assert sorted(feed_ids(client, teacher)) == sorted([passer.id, liker.id, undecided.id])

    swipe(client, passer, teacher, "pass")
    swipe(client, liker, teacher, "like")

    # A pass on me can never become a match: that card is gone; a like on me stays.
    assert sorted(feed_ids(client, teacher)) == sorted([liker.id, undecided.id])
    # Only my deck changes: the passer's other candidates and other viewers are unaffected.
    other_teacher = make_participant("teacher")
    assert passer.id in feed_ids(client, other_teacher)

    undo = client.delete(f"{API}/swipes/{teacher.id}", headers=passer.headers)
    assert undo.status_code == 204, undo.text
    assert sorted(feed_ids(client, teacher)) == sorted([passer.id, liker.id, undecided.id])


def test_paused_profile_vanishes_and_returns(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    assert feed_ids(client, teacher) == [pro.id]

    set_discoverable(client, pro, False)
    assert feed_ids(client, teacher) == []

    set_discoverable(client, pro, True)
    assert feed_ids(client, teacher) == [pro.id]


# --- ranking and explanation -------------------------------------------------------------

VARIED_PROFESSIONALS: list[dict[str, Any]] = [
    {},  # the default: same city, related subjects, same months
    {"place": "delft", "subjects": ["natuurkunde"], "available_months": [3, 4, 5]},
    {"place": "dordrecht", "subjects": ["economie"], "goals": ["support_initiative"]},
    {
        "place": "den-haag",
        "subjects": ["it_software"],
        "hours_per_month": 2,
        "available_months": [9, 10],
    },
    {
        "place": "schiedam",
        "subjects": ["data_ai"],
        "outcomes": ["career_step"],
        "duration_months": 6,
    },
]


def make_varied_pool(make_participant) -> tuple[Person, list[Person]]:
    teacher = make_participant("teacher", max_travel_km=100)
    pros = [make_participant("professional", **fields) for fields in VARIED_PROFESSIONALS]
    return teacher, pros


def test_feed_items_are_scored_sorted_and_explained_in_dutch(client, make_participant):
    teacher, pros = make_varied_pool(make_participant)
    page = get_feed(client, teacher)
    items = page["items"]
    assert page["next_cursor"] is None
    assert sorted(item["profile"]["id"] for item in items) == sorted(p.id for p in pros)

    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) > 1, "the varied pool should not score all alike"
    for item in items:
        assert 0 <= item["score"] <= 1
        assert set(item["breakdown"]) == {"subject", "motivation", "region", "availability"}
        for value in item["breakdown"].values():
            assert isinstance(value, int | float)
            assert 0 <= value <= 1
        reasons = item["reasons"]
        assert 1 <= len(reasons) <= 4
        for reason in reasons:
            assert isinstance(reason, str) and reason.strip()
            assert DUTCH_WORDS.search(reason), reason
            assert not ENGLISH_WORDS.search(reason), reason


def test_feed_body_is_exactly_the_documented_model(client, make_participant):
    """The feed writes its JSON without pydantic (the hot path): the body must be a fixed
    point of FeedPageOut — every documented field present, of its type, nothing extra, and
    no contact details on a card."""
    teacher, pros = make_varied_pool(make_participant)
    for params in ({"limit": 2}, {"limit": 100}):
        response = client.get(f"{API}/feed", params=params, headers=teacher.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["items"], "the varied pool must fill the page"
        assert FeedPageOut.model_validate_json(response.content).model_dump(mode="json") == body
        for item in body["items"]:
            assert set(item) == set(FeedItemOut.model_fields)
            assert set(item["profile"]) == set(ProfileCard.model_fields)
            assert item["profile"]["contact"] is None
    assert len(pros) > 2 and body["next_cursor"] is None


def test_feed_pagination_walks_every_candidate_once(client, make_participant):
    teacher, pros = make_varied_pool(make_participant)
    seen: list[int] = []
    scores: list[float] = []
    pages = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        page = get_feed(client, teacher, **params)
        pages.append(page)
        assert len(page["items"]) <= 2
        seen += [item["profile"]["id"] for item in page["items"]]
        scores += [item["score"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "pagination does not end"

    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert all(isinstance(p["next_cursor"], str) and p["next_cursor"] for p in pages[:-1])
    assert pages[-1]["next_cursor"] is None
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == {p.id for p in pros}
    assert scores == sorted(scores, reverse=True)
    # Paging gives the same order as one big page.
    assert seen == [item["profile"]["id"] for item in get_feed(client, teacher)["items"]]


def test_feed_rejects_bad_limit_and_cursor(client, make_participant):
    teacher = make_participant("teacher")
    make_participant("professional")
    for params in ({"limit": 0}, {"limit": 101}, {"cursor": "not-a-cursor"}):
        response = client.get(f"{API}/feed", params=params, headers=teacher.headers)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_feed_pagination_with_equal_scores(client, make_participant):
    teacher = make_participant("teacher")
    pros = [make_participant("professional") for _ in range(5)]
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        page = get_feed(client, teacher, **params)
        assert len({item["score"] for item in page["items"]}) <= 1
        seen += [item["profile"]["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == {p.id for p in pros}


def test_feed_items_carry_the_distance_in_whole_km(client, make_participant):
    teacher = make_participant("teacher", place="rotterdam", max_travel_km=100)
    same_place = make_participant("professional", place="rotterdam")
    den_haag = make_participant("professional", place="den-haag")
    utrecht = make_participant("professional", place="utrecht", max_travel_km=100)
    items = {item["profile"]["id"]: item for item in get_feed(client, teacher)["items"]}
    assert items[same_place.id]["distance_km"] == 1  # the same place: "1 km", never 0
    # Rotterdam–Den Haag is about 20 km as the crow flies, Rotterdam–Utrecht about 50.
    assert 15 <= items[den_haag.id]["distance_km"] <= 25
    assert 45 <= items[utrecht.id]["distance_km"] <= 55
    for item in items.values():  # the same figure as a reason that names the distance
        for reason in item["reasons"]:
            found = re.search(r"(\d+) km", reason)
            if found:
                assert int(found.group(1)) == item["distance_km"], reason
