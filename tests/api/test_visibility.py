"""Who sees whose card and contact details, on every path that shows a person.

Two rules, decided in one place (`app/services/visibility.py`):

- After a block (either way) a former pair stays in both histories, but each sees of the other
  only a stub (id, name, side): no contact and none of the live card, whoever blocked whom and
  whatever either changes afterwards.
- Coordinators see contact details of participants whose own region is theirs; a coordinator
  who follows a pair through the other partner's region sees that person's public card only.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import API, COMPLETE_PROFILE, Person, mutual_match
from tests.utils import block

C = f"{API}/coordinator"

# What the person changes after the block: none of it may reach the other.
NEW_CONTACT = {
    "email": "nieuw.adres.na.blokkade@example.org",
    "phone": "+31 6 98765432",
    "linkedin_url": "https://www.linkedin.com/in/nieuw-profiel-na-blokkade",
}
NEW_CARD = {
    "headline": "Nieuwe functie na de blokkade",
    "organisation": "Nieuwe Werkgever BV",
    "bio": "Een nieuwe bio na de blokkade",
    "motivation": "Nieuwe motivatie na de blokkade",
    "education": "Nieuwe opleiding na de blokkade",
}
NEW_GOALS = ["start_up", "lasting_cooperation"]
# The stub's live-card fields: empty, as for a person without a profile.
EMPTY_CARD = {
    "region": None,
    "headline": None,
    "organisation": None,
    "organisation_type": None,
    "bio": None,
    "subjects": [],
    "education": None,
    "place": None,
    "place_name": None,
    "hours_per_month": None,
    "available_months": [],
    "goals": [],
    "outcomes": [],
    "motivation": None,
    "contact": None,
}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response


def what_the_viewer_sees(client: TestClient, viewer: Person, other: Person, match_id: int):
    """Every answer that shows the viewer something of a match or its partner."""
    h = viewer.headers
    swipe_retry = client.post(
        f"{API}/swipes", json={"target_id": other.id, "decision": "like"}, headers=h
    )
    return {
        "matches": ok(client.get(f"{API}/matches", headers=h)),
        "match": ok(client.get(f"{API}/matches/{match_id}", headers=h)),
        "swipe retry": ok(swipe_retry),
        "notifications": ok(client.get(f"{API}/notifications", params={"limit": 100}, headers=h)),
        "export": ok(client.get(f"{API}/me/export", headers=h)),
        "plan": ok(client.get(f"{API}/matches/{match_id}/plan", headers=h)),
        "meetings": ok(client.get(f"{API}/matches/{match_id}/meetings", headers=h)),
        "progress": ok(client.get(f"{API}/matches/{match_id}/progress", headers=h)),
        "evaluations": ok(client.get(f"{API}/matches/{match_id}/evaluations", headers=h)),
    }


def assert_stub(partner: dict[str, Any], other: Person) -> None:
    assert partner["id"] == other.id
    assert partner["name"] == other.name
    assert partner["side"] == other.side
    assert {k: partner[k] for k in EMPTY_CARD} == EMPTY_CARD


@pytest.mark.parametrize(
    "blocker_side",
    ["professional", "teacher"],
    ids=["the blocked one looks at the blocker", "the blocker looks at the blocked one"],
)
def test_after_a_block_the_history_holds_no_contact_and_no_live_card(
    client, make_participant, blocker_side
):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)
    # History that stays: a meeting in the trajectory.
    meeting = {"date": match["created_at"][:10], "hours": 2.0, "activity": "workplace_visit"}
    ok(client.post(f"{API}/matches/{match['id']}/meetings", json=meeting, headers=pro.headers), 201)
    # The teacher watches the professional; before the block: the card with contact.
    before = ok(client.get(f"{API}/matches/{match['id']}", headers=teacher.headers)).json()
    assert (
        before["partner"]["contact"]["phone"]
        == COMPLETE_PROFILE["professional"]["contact"]["phone"]
    )

    blocker, blocked = (pro, teacher) if blocker_side == "professional" else (teacher, pro)
    block(client, blocker, blocked)
    # The professional changes contact and card after the block.
    changed = client.patch(
        f"{API}/me/profile",
        json=NEW_CARD | {"contact": NEW_CONTACT, "goals": NEW_GOALS, "place": "delft"},
        headers=pro.headers,
    )
    ok(changed)

    seen = what_the_viewer_sees(client, teacher, pro, match["id"])

    old = COMPLETE_PROFILE["professional"]
    secrets = [
        *NEW_CONTACT.values(),
        *NEW_CARD.values(),
        "nieuw-profiel-na-blokkade",
        "98765432",
        old["contact"]["email"],
        old["contact"]["phone"],
        old["headline"],
        pro.email,
    ]
    for path, response in seen.items():
        for secret in secrets:
            assert secret not in response.text, f"{path} shows {secret!r}"

    [listed] = seen["matches"].json()["items"]
    assert listed["id"] == match["id"] and listed["status"] == "ended"
    assert_stub(listed["partner"], pro)
    assert_stub(seen["match"].json()["partner"], pro)
    assert seen["swipe retry"].json()["match"]["id"] == match["id"]
    assert_stub(seen["swipe retry"].json()["match"]["partner"], pro)
    # The trajectory stays readable, without the partner's live goals.
    plan = seen["plan"].json()
    assert plan["partner_goals"] == [] and plan["professional_goals"] == []
    assert plan["my_goals"] == COMPLETE_PROFILE["teacher"]["goals"]
    assert len(seen["meetings"].json()["items"]) == 1
    assert seen["progress"].json()["hours_logged"] == 2.0
    exported = seen["export"].json()
    assert [m["partner"] for m in exported["matches"]] == [{"id": pro.id, "name": pro.name}]


def test_lifting_the_block_gives_the_history_its_card_back(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)
    block(client, pro, teacher)
    hidden = ok(client.get(f"{API}/matches/{match['id']}", headers=pro.headers)).json()
    assert_stub(hidden["partner"], teacher)

    ok(client.delete(f"{API}/blocks/{teacher.id}", headers=pro.headers), 204)

    for viewer, other in ((pro, teacher), (teacher, pro)):
        body = ok(client.get(f"{API}/matches/{match['id']}", headers=viewer.headers)).json()
        assert body["status"] == "ended"
        contact = COMPLETE_PROFILE[str(other.side)]["contact"]
        assert body["partner"]["contact"]["email"] == contact["email"]
        assert body["partner"]["headline"] == COMPLETE_PROFILE[str(other.side)]["headline"]


def test_an_exit_without_a_block_keeps_the_partner_card_with_contact(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)
    ok(client.post(f"{API}/matches/{match['id']}/exit", json={}, headers=teacher.headers))
    ok(client.patch(f"{API}/me/profile", json={"contact": NEW_CONTACT}, headers=pro.headers))
    body = ok(client.get(f"{API}/matches/{match['id']}", headers=teacher.headers)).json()
    assert body["partner"]["contact"]["email"] == NEW_CONTACT["email"]


# --- coordinators of a pair across two regions ----------------------------------------------


@pytest.fixture
def cross_region_pair(client, make_participant, make_staff):  # type: ignore[no-untyped-def]
    """A Rotterdam teacher and an Amsterdam professional in a blind match, and each region's
    coordinator."""
    teacher = make_participant("teacher", name="Tessa Rotterdam")
    pro = make_participant("professional", name="Piet Amsterdam", place="amsterdam")
    admin = make_staff("admin")
    made = ok(
        client.post(
            f"{C}/matches",
            json={"teacher_id": teacher.id, "professional_id": pro.id},
            headers=admin.headers,
        ),
        201,
    ).json()
    coordinators = {
        "rotterdam": make_staff("coordinator", ["rotterdam"]),
        "amsterdam": make_staff("coordinator", ["amsterdam"]),
    }
    return teacher, pro, made["id"], coordinators, admin


def contact_strings(person: Person) -> list[str]:
    contact = COMPLETE_PROFILE[str(person.side)]["contact"]
    return [contact["email"], contact["phone"], person.email]


@pytest.mark.parametrize("region", ["rotterdam", "amsterdam"])
def test_each_coordinator_sees_contact_only_of_the_partner_in_their_region(
    client, cross_region_pair, region
):
    teacher, pro, match_id, coordinators, _ = cross_region_pair
    coordinator = coordinators[region]
    mine, theirs = (teacher, pro) if region == "rotterdam" else (pro, teacher)
    role_of = {teacher.id: "teacher", pro.id: "professional"}
    h = coordinator.headers

    listed = ok(client.get(f"{C}/matches", headers=h))
    [row] = listed.json()["items"]
    single = ok(client.get(f"{C}/matches/{match_id}", headers=h))
    assert single.json() == row
    for body in (row, single.json()):
        own, other = body[role_of[mine.id]], body[role_of[theirs.id]]
        assert own["contact"]["email"] == contact_strings(mine)[0]
        assert own["email"] == mine.email
        # The other partner: the pair and who it is, not how to reach them.
        assert other["id"] == theirs.id and other["name"] == theirs.name
        assert other["region"] == ("amsterdam" if region == "rotterdam" else "rotterdam")
        assert other["contact"] is None and other["email"] is None

    matches_csv = ok(client.get(f"{C}/export/matches.csv", headers=h))
    participants_csv = ok(client.get(f"{C}/export/participants.csv", headers=h))
    assert theirs.name in matches_csv.text and mine.name in matches_csv.text
    assert mine.email in participants_csv.text
    trajectory = [
        ok(client.get(f"{API}/matches/{match_id}/{part}", headers=h))
        for part in ("plan", "meetings", "progress", "evaluations")
    ]
    for response in (listed, single, matches_csv, participants_csv, *trajectory):
        for secret in contact_strings(theirs):
            assert secret not in response.text

    # The other partner's public card, without contact; my own partner's card with it.
    card = ok(client.get(f"{API}/profiles/{theirs.id}", headers=h)).json()
    assert card["id"] == theirs.id and card["contact"] is None
    assert card["headline"] == COMPLETE_PROFILE[str(theirs.side)]["headline"]
    own_card = ok(client.get(f"{API}/profiles/{mine.id}", headers=h)).json()
    assert own_card["contact"]["email"] == contact_strings(mine)[0]


def test_a_coordinator_of_neither_region_sees_nothing_and_an_admin_sees_both(
    client, cross_region_pair, make_staff
):
    teacher, pro, match_id, _, admin = cross_region_pair
    utrecht = make_staff("coordinator", ["utrecht"])
    assert ok(client.get(f"{C}/matches", headers=utrecht.headers)).json()["items"] == []
    for path in (f"{C}/matches/{match_id}", f"{API}/profiles/{pro.id}"):
        response = client.get(path, headers=utrecht.headers)
        assert response.status_code == 404, response.text
        assert pro.email not in response.text

    body = ok(client.get(f"{C}/matches/{match_id}", headers=admin.headers)).json()
    assert body["teacher"]["contact"]["email"] == contact_strings(teacher)[0]
    assert body["professional"]["contact"]["email"] == contact_strings(pro)[0]


def test_contact_follows_the_participants_own_region_when_they_move(client, cross_region_pair):
    teacher, pro, match_id, coordinators, _ = cross_region_pair
    ok(client.patch(f"{API}/me/profile", json={"place": "rotterdam"}, headers=pro.headers))

    rotterdam = ok(client.get(f"{C}/matches/{match_id}", headers=coordinators["rotterdam"].headers))
    assert rotterdam.json()["professional"]["contact"]["email"] == contact_strings(pro)[0]
    # Amsterdam still follows the pair it started with, but the person is no longer theirs.
    amsterdam = ok(client.get(f"{C}/matches/{match_id}", headers=coordinators["amsterdam"].headers))
    for secret in contact_strings(pro) + contact_strings(teacher):
        assert secret not in amsterdam.text
    assert amsterdam.json()["professional"]["name"] == pro.name


def test_a_block_after_an_exit_hides_the_card_in_both_histories(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    match = mutual_match(client, teacher, pro)
    ok(client.post(f"{API}/matches/{match['id']}/exit", json={}, headers=pro.headers))
    before = ok(client.get(f"{API}/matches/{match['id']}", headers=pro.headers)).json()
    assert before["partner"]["headline"] == COMPLETE_PROFILE["teacher"]["headline"]

    block(client, teacher, pro)

    for viewer, other in ((teacher, pro), (pro, teacher)):
        [listed] = ok(client.get(f"{API}/matches", headers=viewer.headers)).json()["items"]
        assert listed["id"] == match["id"] and listed["status"] == "ended"
        assert_stub(listed["partner"], other)
        card = client.get(f"{API}/profiles/{other.id}", headers=viewer.headers)
        assert card.status_code == 404, card.text
