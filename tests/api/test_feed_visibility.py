"""The feed builds its cards without `app/services/visibility.py` (its bulk fast path), so it
is held to `visibility.decide` here: for each case the rule names (blocked either way,
paused, another region, matched before, erased), what the feed shows must be what the rule
allows, and a card the feed shows must be the very card GET /profiles/{id} (which asks the
rule) gives the same viewer.

The feed is allowed to be stricter (it never shows a former partner, whom the rule lets see
contact), never looser: it shows only `public` cards, never contact.
"""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Profile, User
from app.services import visibility
from app.services.visibility import Sight
from tests.conftest import API, Person, mutual_match
from tests.utils import block, feed_ids

FAR = {"max_travel_km": 300}  # the feed's travel limits are not what is tested here

# case -> what the rule lets the teacher see of that professional
EXPECTED = {
    "plain": Sight.public,
    "other_region": Sight.public,
    "blocked_by_viewer": Sight.hidden,
    "blocked_the_viewer": Sight.hidden,
    "paused": Sight.hidden,
    "matched_before": Sight.contact,
    "blocked_after_match": Sight.stub,
    "erased": Sight.hidden,
}


def setup_cases(client: TestClient, make_participant: Any) -> tuple[Person, dict[str, Person]]:
    viewer = make_participant("teacher", **FAR)
    place = {"other_region": "amsterdam"}
    case = {
        name: make_participant("professional", place=place.get(name, "rotterdam"), **FAR)
        for name in EXPECTED
    }
    block(client, viewer, case["blocked_by_viewer"])
    block(client, case["blocked_the_viewer"], viewer)
    paused = client.patch(
        f"{API}/me/profile", json={"discoverable": False}, headers=case["paused"].headers
    )
    assert paused.status_code == 200, paused.text
    for name in ("matched_before", "blocked_after_match"):
        match = mutual_match(client, viewer, case[name])
        ended = client.post(f"{API}/matches/{match['id']}/exit", headers=viewer.headers)
        assert ended.status_code == 200, ended.text
    block(client, case["blocked_after_match"], viewer)
    erased = client.delete(f"{API}/me", headers=case["erased"].headers)
    assert erased.status_code == 204, erased.text
    return viewer, case


def sight(db: Session, viewer: Person, subject: Person) -> Sight:
    db.rollback()  # what the requests committed
    viewer_user, subject_user = db.get(User, viewer.id), db.get(User, subject.id)
    assert viewer_user is not None and subject_user is not None
    return visibility.sight_of(
        db, viewer=viewer_user, subject=subject_user, profile=db.get(Profile, subject.id)
    )


def test_the_feed_shows_exactly_what_decide_allows(client, db, make_participant):
    viewer, case = setup_cases(client, make_participant)
    decided = {name: sight(db, viewer, person) for name, person in case.items()}
    assert decided == EXPECTED  # the cases are what they say they are

    shown = set(feed_ids(client, viewer))
    for name, person in case.items():
        if decided[name] is Sight.public:
            assert person.id in shown, name  # nothing the rule allows is missing
        else:
            # hidden and stub: the rule forbids the card; contact: the feed never shows it
            assert person.id not in shown, name


def test_a_feed_card_is_the_card_the_rule_gives(client, make_participant):
    viewer, case = setup_cases(client, make_participant)
    response = client.get(f"{API}/feed", params={"limit": 100}, headers=viewer.headers)
    assert response.status_code == 200, response.text
    cards = {item["profile"]["id"]: item["profile"] for item in response.json()["items"]}
    assert set(cards) == {case["plain"].id, case["other_region"].id}
    for card_id, card in cards.items():
        by_rule = client.get(f"{API}/profiles/{card_id}", headers=viewer.headers)
        assert by_rule.status_code == 200, by_rule.text
        assert card == by_rule.json()
        assert card["contact"] is None


def test_what_the_feed_leaves_out_the_profile_path_refuses_too(client, make_participant):
    """Every card the rule hides (or keeps to a stub in a history) is 404 as a card."""
    viewer, case = setup_cases(client, make_participant)
    for name, expected in EXPECTED.items():
        response = client.get(f"{API}/profiles/{case[name].id}", headers=viewer.headers)
        if expected.shows_card:
            assert response.status_code == 200, (name, response.text)
            has_contact = response.json()["contact"] is not None
            assert has_contact is expected.shows_contact, name
        else:
            assert response.status_code == 404, (name, response.text)
