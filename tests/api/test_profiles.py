"""Profiles: PUT/PATCH of my own, validation that never writes, and who sees which card."""

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.models import Profile
from tests.conftest import API, COMPLETE_PROFILE, mutual_match
from tests.utils import PROBLEM, assert_problem

ME = f"{API}/me"
MY_PROFILE = f"{API}/me/profile"

DEFAULT_WEIGHTS = {"subject": 0.3, "motivation": 0.3, "region": 0.2, "availability": 0.2}
SUBJECT_WEIGHTS = {"subject": 0.5, "motivation": 0.2, "region": 0.15, "availability": 0.15}
REQUIRED = [
    "headline",
    "organisation",
    "subjects",
    "place",
    "hours_per_month",
    "available_months",
    "goals",
]
PRIVATE = {"contact", "weights", "weights_explicit", "manager_approval", "confidentiality"}

RICH_TEACHER: dict[str, Any] = COMPLETE_PROFILE["teacher"] | {
    "bio": "Ik geef natuurkunde in de bovenbouw.",
    "education": "Lerarenopleiding natuurkunde",
    "max_travel_km": 80,
    "duration_months": 6,
    "motivation": "Ik wil zien hoe techniek in de praktijk werkt.",
    "match_mode": "subject",
    "weights": {"subject": 1, "motivation": 0, "region": 0.5, "availability": 0.25},
    "manager_approval": True,
    "confidentiality": "Geen namen van leerlingen delen.",
    "contact": {
        "email": "rich@example.org",
        "phone": "+31 6 33333333",
        "linkedin_url": "https://www.linkedin.com/in/rich",
    },
    "discoverable": False,
}


def own(client, person) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    response = client.get(ME, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()["profile"]


def card(client, viewer, owner):  # type: ignore[no-untyped-def]
    return client.get(f"{API}/profiles/{owner.id}", headers=viewer.headers)


# --- PUT and PATCH ---------------------------------------------------------------------------


def test_put_creates_my_profile_with_defaults(client, make_participant):
    person = make_participant("teacher", profile=False)
    assert own(client, person) is None
    response = client.put(MY_PROFILE, json=COMPLETE_PROFILE["teacher"], headers=person.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    for name, value in COMPLETE_PROFILE["teacher"].items():
        if name != "contact":
            assert body[name] == value, name
    assert body["contact"]["email"] == "teacher.contact@example.org"
    assert body["contact"]["phone"] == "+31 6 11111111"
    assert body["id"] == person.id and body["name"] == person.name and body["side"] == "teacher"
    assert body["region"] == "rotterdam" and body["place_name"] == "Rotterdam"
    assert body["max_travel_km"] == 30
    assert body["duration_months"] == 3
    assert body["match_mode"] == "balanced"
    assert body["weights"] == DEFAULT_WEIGHTS and body["weights_explicit"] is False
    assert body["manager_approval"] is False
    assert body["discoverable"] is True
    assert body["bio"] is None and body["confidentiality"] is None
    assert body["complete"] is True and body["missing"] == []
    assert own(client, person) == body


def test_put_replaces_fields_left_out_go_back_to_defaults(client, make_participant):
    person = make_participant("teacher", profile=False)
    rich = client.put(MY_PROFILE, json=RICH_TEACHER, headers=person.headers)
    assert rich.status_code == 200, rich.text
    body = rich.json()
    assert body["weights"] == RICH_TEACHER["weights"] and body["weights_explicit"] is True
    assert body["max_travel_km"] == 80 and body["duration_months"] == 6
    assert body["manager_approval"] is True and body["discoverable"] is False
    assert body["contact"]["linkedin_url"].startswith("https://www.linkedin.com/in/rich")

    plain = {k: v for k, v in COMPLETE_PROFILE["teacher"].items() if k != "contact"}
    replaced = client.put(MY_PROFILE, json=plain, headers=person.headers)
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["headline"] == "Docent natuurkunde"
    for name in ("bio", "education", "motivation", "confidentiality"):
        assert body[name] is None, name
    assert body["max_travel_km"] == 30
    assert body["duration_months"] == 3
    assert body["match_mode"] == "balanced"
    assert body["weights"] == DEFAULT_WEIGHTS and body["weights_explicit"] is False
    assert body["manager_approval"] is False
    assert body["discoverable"] is True
    assert body["contact"] == {"email": None, "phone": None, "linkedin_url": None}
    assert own(client, person) == body


def test_put_with_only_a_headline_empties_the_rest(client, make_participant):
    person = make_participant("teacher")
    body = client.put(MY_PROFILE, json={"headline": "Docent"}, headers=person.headers).json()
    assert body["headline"] == "Docent"
    assert body["subjects"] == [] and body["goals"] == [] and body["available_months"] == []
    assert body["place"] is None and body["region"] is None
    assert body["complete"] is False
    assert body["missing"] == [name for name in REQUIRED if name != "headline"]


def test_patch_changes_only_the_fields_sent(client, make_participant):
    person = make_participant("teacher", **{"bio": "Eerste bio", "max_travel_km": 45})
    before = own(client, person)
    assert before is not None
    response = client.patch(
        MY_PROFILE,
        json={"hours_per_month": 6, "bio": "Nieuwe bio", "match_mode": "subject"},
        headers=person.headers,
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["hours_per_month"] == 6 and after["bio"] == "Nieuwe bio"
    assert after["match_mode"] == "subject"
    assert after["weights"] == SUBJECT_WEIGHTS  # the mode's defaults while none are set
    changed = {"hours_per_month", "bio", "match_mode", "weights", "updated_at"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    assert own(client, person) == after


def test_patch_discoverable_false_pauses_only_that(client, make_participant):
    person = make_participant("professional")
    before = own(client, person)
    assert before is not None
    after = client.patch(MY_PROFILE, json={"discoverable": False}, headers=person.headers).json()
    assert after["discoverable"] is False
    assert after["complete"] is True
    assert after["contact"] == before["contact"] and after["subjects"] == before["subjects"]


def test_patch_without_a_profile_creates_one(client, make_participant):
    person = make_participant("professional", profile=False)
    response = client.patch(MY_PROFILE, json={"headline": "Ingenieur"}, headers=person.headers)
    assert response.status_code == 200, response.text
    assert own(client, person)["headline"] == "Ingenieur"  # type: ignore[index]


def test_complete_and_missing_follow_the_required_fields(client, make_participant):
    person = make_participant("teacher", profile=False)
    first = client.put(MY_PROFILE, json={"headline": "Docent"}, headers=person.headers).json()
    assert first["complete"] is False
    assert first["missing"] == REQUIRED[1:]

    rest = {k: COMPLETE_PROFILE["teacher"][k] for k in REQUIRED[1:]}
    done = client.patch(MY_PROFILE, json=rest, headers=person.headers).json()
    assert done["complete"] is True and done["missing"] == []

    paused_place = client.patch(MY_PROFILE, json={"place": None}, headers=person.headers).json()
    assert paused_place["complete"] is False
    assert paused_place["missing"] == ["place"]
    assert paused_place["region"] is None


@pytest.mark.parametrize(
    ("place", "region", "name"),
    [
        ("rotterdam", "rotterdam", "Rotterdam"),
        ("den-haag", "den-haag", "Den Haag"),
        ("arnhem", "gelderland", "Arnhem"),
        ("eindhoven", "eindhoven", "Eindhoven"),
    ],
)
def test_region_is_derived_from_place(client, make_participant, place, region, name):
    person = make_participant("teacher", place=place)
    profile = own(client, person)
    assert profile is not None
    assert (profile["place"], profile["region"], profile["place_name"]) == (place, region, name)
    viewer = make_participant("professional", place=place)
    shown = card(client, viewer, person).json()
    assert shown["region"] == region


def test_region_follows_a_patched_place(client, make_participant):
    person = make_participant("teacher", place="rotterdam")
    body = client.patch(MY_PROFILE, json={"place": "den-haag"}, headers=person.headers).json()
    assert body["region"] == "den-haag"


def test_region_cannot_be_set_directly(client, make_participant):
    person = make_participant("teacher", place="rotterdam")
    body = client.patch(MY_PROFILE, json={"region": "amsterdam"}, headers=person.headers).json()
    assert body["region"] == "rotterdam"


ELEVEN_SUBJECTS = [
    "nederlands",
    "engels",
    "duits",
    "frans",
    "spaans",
    "klassieke_talen",
    "wiskunde",
    "natuurkunde",
    "scheikunde",
    "nask",
    "biologie",
]

INVALID: list[tuple[str, Any]] = [
    ("headline", "x" * 121),
    ("headline", ""),
    ("organisation", "x" * 121),
    ("bio", "x" * 2001),
    ("education", "x" * 121),
    ("motivation", "x" * 2001),
    ("confidentiality", "x" * 501),
    ("subjects", []),
    ("subjects", ELEVEN_SUBJECTS),
    ("subjects", ["klingon"]),
    ("subjects", ["wiskunde", "wiskunde"]),
    ("subjects", "wiskunde"),
    ("place", "atlantis"),
    ("place", "Rotterdam "),
    ("max_travel_km", 0),
    ("max_travel_km", 301),
    ("max_travel_km", -5),
    ("hours_per_month", 0.5),
    ("hours_per_month", 41),
    ("hours_per_month", "veel"),
    ("available_months", [0]),
    ("available_months", [13]),
    ("available_months", []),
    ("available_months", [1, 1]),
    ("duration_months", 2),
    ("duration_months", 7),
    ("goals", ["world_domination"]),
    ("goals", []),
    ("outcomes", ["fame"]),
    ("match_mode", "random"),
    ("weights", {"subject": 1.5, "motivation": 0.3, "region": 0.2, "availability": 0.2}),
    ("weights", {"subject": -0.1, "motivation": 0.3, "region": 0.2, "availability": 0.2}),
    ("weights", {"subject": 0, "motivation": 0, "region": 0, "availability": 0}),
    ("weights", {"subject": 0.3, "motivation": 0.3, "region": 0.2, "availability": 0.2, "x": 1}),
    ("weights", {"subject": 0.3, "motivation": 0.3, "region": 0.2}),
    ("organisation_type", "openbaar_vervoer"),  # a professional's sector, not a school type
    ("organisation_type", "hogwarts"),
    ("contact", {"email": "not-an-email"}),
    ("contact", {"phone": "call me maybe"}),
    ("contact", {"email": "a@example.org", "fax": "123"}),
    ("discoverable", "sometimes"),
]


def _invalid_case_fails(client, person, method: str, field: str, value: Any) -> str | None:  # type: ignore[no-untyped-def]
    """Send one invalid write; describe what went wrong, or None if all is as it should be."""
    before = own(client, person)
    body = COMPLETE_PROFILE["teacher"] | {field: value} if method == "put" else {field: value}
    response = getattr(client, method)(MY_PROFILE, json=body, headers=person.headers)
    if response.status_code != 422:
        return f"status {response.status_code}: {response.text[:200]}"
    if not response.headers["content-type"].startswith(PROBLEM):
        return f"content-type {response.headers['content-type']}"
    problem = response.json()
    if problem.get("status") != 422 or not all(problem.get(k) for k in ("type", "title", "detail")):
        return f"not a problem document: {problem}"
    errors = problem.get("errors") or []
    if not errors or any(set(e) != {"loc", "msg", "type"} or not e["msg"] for e in errors):
        return f"errors not [{{loc, msg, type}}]: {errors}"
    if not any(e["loc"][:2] == ["body", field] for e in errors):
        return f"no error at body.{field}: {errors}"
    if own(client, person) != before:
        return "the stored profile changed"
    return None


@pytest.mark.parametrize("method", ["put", "patch"])
def test_invalid_profile_is_422_and_changes_nothing(client, make_participant, method):
    """Every case in INVALID (one participant, so the suite stays fast); all failures listed."""
    person = make_participant("teacher", bio="Blijft staan")
    failures = {
        f"{field}={value!r}"[:60]: problem
        for field, value in INVALID
        if (problem := _invalid_case_fails(client, person, method, field, value))
    }
    assert not failures, failures


def test_professional_cannot_use_a_school_type(client, make_participant):
    person = make_participant("professional")
    before = own(client, person)
    response = client.patch(
        MY_PROFILE, json={"organisation_type": "gymnasium"}, headers=person.headers
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", "organisation_type"]
    assert own(client, person) == before


def test_invalid_first_profile_writes_no_row(client, make_participant, db: Session):
    person = make_participant("teacher", profile=False)
    body = COMPLETE_PROFILE["teacher"] | {"organisation_type": "openbaar_vervoer"}
    assert_problem(client.put(MY_PROFILE, json=body, headers=person.headers), 422)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Profile)) == 0
    assert own(client, person) is None


@pytest.mark.parametrize(
    "change",
    [
        {"max_travel_km": 1},
        {"max_travel_km": 300},
        {"hours_per_month": 1},
        {"hours_per_month": 40},
        {"hours_per_month": 2.5},
        {"available_months": [12, 1]},
        {"available_months": list(range(1, 13))},
        {"duration_months": 3},
        {"duration_months": 6},
        {"subjects": ELEVEN_SUBJECTS[:10]},
        {"weights": {"subject": 0, "motivation": 0, "region": 0, "availability": 1}},
        {"organisation_type": None},
        {"outcomes": []},
    ],
    ids=lambda change: ",".join(f"{k}={v}"[:30] for k, v in change.items()),
)
def test_boundary_values_are_accepted(client, make_participant, change):
    person = make_participant("teacher", profile=False)
    body = COMPLETE_PROFILE["teacher"] | change
    response = client.put(MY_PROFILE, json=body, headers=person.headers)
    assert response.status_code == 200, response.text
    stored = own(client, person)
    assert stored is not None
    for name, value in change.items():
        expected = sorted(value) if name == "available_months" else value
        assert stored[name] == expected, name


@pytest.mark.parametrize(("role", "regions"), [("coordinator", ["rotterdam"]), ("admin", None)])
def test_staff_cannot_have_a_profile(client, make_staff, db: Session, role, regions):
    staff = make_staff(role, regions)
    put = client.put(MY_PROFILE, json=COMPLETE_PROFILE["teacher"], headers=staff.headers)
    assert_problem(put, 403)
    patch = client.patch(MY_PROFILE, json={"headline": "Coördinator"}, headers=staff.headers)
    assert_problem(patch, 403)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Profile)) == 0
    assert client.get(ME, headers=staff.headers).json()["profile"] is None


def test_profile_needs_a_token(client):
    response = client.put(MY_PROFILE, json=COMPLETE_PROFILE["teacher"])
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


# --- GET /profiles/{id} ----------------------------------------------------------------------


def test_public_card_shows_no_private_fields(client, make_participant):
    owner = make_participant(
        "professional",
        weights={"subject": 1, "motivation": 0.5, "region": 0.5, "availability": 0.5},
        manager_approval=True,
        confidentiality="Niets over klanten",
        bio="Ik onderhoud trams.",
    )
    viewer = make_participant("teacher")
    response = card(client, viewer, owner)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == owner.id
    assert body["name"] == owner.name
    assert body["side"] == "professional"
    assert body["region"] == "rotterdam"
    assert body["headline"] == "Ingenieur tramonderhoud"
    assert body["bio"] == "Ik onderhoud trams."
    assert body["subjects"] == COMPLETE_PROFILE["professional"]["subjects"]
    assert body.get("contact") is None
    assert not (PRIVATE - {"contact"}) & body.keys()
    assert not {"email", "lat", "lon", "latitude", "longitude", "password_hash"} & body.keys()
    for secret in (owner.email, "pro.contact@example.org", "22222222", "Niets over klanten"):
        assert secret not in response.text


def test_matched_partners_see_each_others_contact_also_after_exit(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    stranger = make_participant("teacher")
    assert card(client, teacher, pro).json()["contact"] is None
    match = mutual_match(client, teacher, pro)

    for viewer, owner, email in (
        (teacher, pro, "pro.contact@example.org"),
        (pro, teacher, "teacher.contact@example.org"),
    ):
        body = card(client, viewer, owner).json()
        assert body["contact"]["email"] == email
    assert card(client, stranger, pro).json()["contact"] is None

    exit_ = client.post(f"{API}/matches/{match['id']}/exit", json={}, headers=teacher.headers)
    assert exit_.status_code == 200, exit_.text
    assert exit_.json()["status"] == "ended"
    assert card(client, teacher, pro).json()["contact"]["email"] == "pro.contact@example.org"
    assert card(client, pro, teacher).json()["contact"]["email"] == "teacher.contact@example.org"
    assert card(client, stranger, pro).json()["contact"] is None


def test_coordinator_of_the_region_sees_contact(client, make_participant, make_staff):
    owner = make_participant("teacher", place="rotterdam")
    coordinator = make_staff("coordinator", ["rotterdam"])
    response = card(client, coordinator, owner)
    assert response.status_code == 200, response.text
    assert response.json()["contact"]["email"] == "teacher.contact@example.org"
    assert response.json()["region"] == "rotterdam"


def test_coordinator_of_another_region_gets_404(client, make_participant, make_staff):
    owner = make_participant("teacher", place="rotterdam")
    coordinator = make_staff("coordinator", ["amsterdam", "utrecht"])
    response = card(client, coordinator, owner)
    assert_problem(response, 404)
    assert "teacher.contact" not in response.text


def test_coordinator_follows_the_participant_when_they_move(client, make_participant, make_staff):
    owner = make_participant("teacher", place="rotterdam")
    coordinator = make_staff("coordinator", ["den-haag"])
    assert card(client, coordinator, owner).status_code == 404
    client.patch(MY_PROFILE, json={"place": "den-haag"}, headers=owner.headers)
    assert card(client, coordinator, owner).json()["contact"]["email"] == (
        "teacher.contact@example.org"
    )


def test_admin_sees_contact(client, make_participant, make_staff):
    owner = make_participant("teacher", place="eindhoven")
    admin = make_staff("admin")
    assert card(client, admin, owner).json()["contact"]["email"] == "teacher.contact@example.org"


@pytest.mark.parametrize("user_id", ["999999", "0", "-1", "2147483648", "99999999999999999999"])
def test_unknown_profile_is_404(client, make_participant, user_id):
    viewer = make_participant("teacher")
    assert_problem(client.get(f"{API}/profiles/{user_id}", headers=viewer.headers), 404)


def test_profile_id_must_be_a_number(client, make_participant):
    viewer = make_participant("teacher")
    assert_problem(client.get(f"{API}/profiles/abc", headers=viewer.headers), 422)


def test_staff_and_profileless_accounts_have_no_card(client, make_participant, make_staff):
    viewer = make_participant("teacher")
    coordinator = make_staff("coordinator", ["rotterdam"])
    without_profile = make_participant("professional", profile=False)
    assert_problem(card(client, viewer, coordinator), 404)
    assert_problem(card(client, viewer, without_profile), 404)


def test_paused_profile_is_404_for_a_stranger(client, make_participant):
    owner = make_participant("professional")
    stranger = make_participant("teacher")
    assert card(client, stranger, owner).status_code == 200
    client.patch(MY_PROFILE, json={"discoverable": False}, headers=owner.headers)
    response = card(client, stranger, owner)
    assert_problem(response, 404)
    assert owner.name not in response.text
    assert card(client, owner, owner).status_code == 200  # I still see my own card


def test_blocked_people_do_not_see_each_others_card(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    other = make_participant("teacher")
    blocked = client.post(f"{API}/blocks", json={"user_id": pro.id}, headers=teacher.headers)
    assert blocked.status_code == 201, blocked.text
    assert_problem(card(client, teacher, pro), 404)
    assert_problem(card(client, pro, teacher), 404)
    assert card(client, other, pro).status_code == 200


def test_blocking_a_former_partner_hides_the_card_too(client, make_participant):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    mutual_match(client, teacher, pro)
    client.post(f"{API}/blocks", json={"user_id": teacher.id}, headers=pro.headers)
    assert_problem(card(client, teacher, pro), 404)
    assert_problem(card(client, pro, teacher), 404)


def test_card_needs_a_token(client, make_participant):
    owner = make_participant("teacher")
    response = client.get(f"{API}/profiles/{owner.id}")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
