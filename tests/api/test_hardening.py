"""Hostile input the schemas alone let through: NUL characters in any text (PostgreSQL cannot
store them), forged list cursors and extreme dates. Each answers 422 problem+json, with the
offending place in `errors[].loc`, and writes nothing."""

import base64
import json
from datetime import timedelta
from typing import Any

import pytest

from app import clock
from tests.conftest import API, COMPLETE_PROFILE, PASSWORD, Person, database_snapshot, mutual_match

NUL = "\x00"


def cursor_of(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def assert_422(response, loc: list[Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 422 and body["title"] and body["detail"]
    assert body["type"].endswith(body["code"].replace("_", "-"))
    assert loc in [error["loc"] for error in body["errors"]], body
    if loc == ["query", "cursor"]:
        expected = "invalid_cursor"
    elif any(error["type"] == "string_nul" for error in body["errors"]):
        expected = "text_has_nul"  # RejectNul, before the route runs
    else:
        expected = "validation_error"
    assert body["code"] == expected, body
    assert all({"loc", "msg", "type"} <= error.keys() for error in body["errors"])
    return body


@pytest.fixture
def pair(client, make_participant) -> tuple[Person, Person, dict[str, Any]]:
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    return teacher, pro, mutual_match(client, teacher, pro)


# --- NUL characters ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Ann\x00", "\x00", "a\x00b"])
def test_nul_in_registration_name_is_422_and_creates_no_account(client, db, text):
    before = database_snapshot(db)
    response = client.post(
        f"{API}/auth/register",
        json={"email": "nul@example.org", "password": PASSWORD, "name": text, "side": "teacher"},
    )
    assert_422(response, ["body", "name"])
    assert database_snapshot(db) == before


def test_nul_in_login_form_is_422_and_counts_no_attempt(client, db, make_participant):
    person = make_participant("teacher", profile=False)
    before = database_snapshot(db)
    for fields, loc in (
        ({"username": person.email + NUL, "password": PASSWORD}, ["body", "username"]),
        ({"username": person.email, "password": PASSWORD + NUL}, ["body", "password"]),
    ):
        assert_422(client.post(f"{API}/auth/token", data=fields), loc)
        # The same form as multipart/form-data (FastAPI accepts both).
        multipart = {name: (None, value) for name, value in fields.items()}
        assert_422(client.post(f"{API}/auth/token", files=multipart), loc)
    assert database_snapshot(db) == before


@pytest.mark.parametrize(
    "field", ["headline", "organisation", "bio", "motivation", "confidentiality", "education"]
)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_nul_in_profile_text_is_422_and_leaves_the_profile(
    client, db, make_participant, field, method
):
    person = make_participant("teacher")
    before = database_snapshot(db)
    body = (COMPLETE_PROFILE["teacher"] if method == "put" else {}) | {field: f"Tekst{NUL}meer"}
    response = getattr(client, method)(f"{API}/me/profile", json=body, headers=person.headers)
    assert_422(response, ["body", field])
    assert database_snapshot(db) == before
    assert client.get(f"{API}/me", headers=person.headers).json()["profile"][field] != body[field]


def test_nul_in_nested_and_listed_strings_is_422(client, db, make_participant):
    person = make_participant("teacher")
    before = database_snapshot(db)
    contact = {"email": "x@example.org", "phone": "+31 6 1" + NUL}
    response = client.patch(f"{API}/me/profile", json={"contact": contact}, headers=person.headers)
    assert_422(response, ["body", "contact", "phone"])
    response = client.patch(
        f"{API}/me/profile", json={"subjects": ["natuurkunde", NUL]}, headers=person.headers
    )
    assert_422(response, ["body", "subjects", 1])
    assert database_snapshot(db) == before


def test_nul_in_meeting_and_exit_notes_is_422_and_writes_nothing(client, db, pair):
    teacher, pro, match = pair
    before = database_snapshot(db)
    meeting = {
        "date": clock.now().date().isoformat(),
        "hours": 2,
        "activity": "workplace_visit",
        "note": "Goed\x00gesprek",
    }
    response = client.post(
        f"{API}/matches/{match['id']}/meetings", json=meeting, headers=teacher.headers
    )
    assert_422(response, ["body", "note"])
    response = client.post(
        f"{API}/matches/{match['id']}/exit", json={"note": "Te druk\x00"}, headers=pro.headers
    )
    assert_422(response, ["body", "note"])
    assert database_snapshot(db) == before
    assert client.get(f"{API}/matches/{match['id']}", headers=pro.headers).json()["status"] == (
        "trial"
    )


def test_nul_json_escape_and_utf16_body_are_caught_after_decoding(client, db):
    before = database_snapshot(db)
    body = {"email": "nul@example.org", "password": PASSWORD, "name": "An\x00n", "side": "teacher"}
    raw = json.dumps(body)
    assert "\\u0000" in raw  # what a JSON encoder writes for NUL
    for content in (raw.encode(), raw.encode("utf-16")):
        response = client.post(
            f"{API}/auth/register", content=content, headers={"content-type": "application/json"}
        )
        assert_422(response, ["body", "name"])
    assert database_snapshot(db) == before


@pytest.mark.parametrize("depth", [50, 5_000, 30_000, 100_000])
def test_nul_deep_inside_nested_json_is_a_4xx(client, db, depth):
    before = database_snapshot(db)
    raw = '{"email": "deep@example.org", "name": ' + "[" * depth + '"\\u0000"' + "]" * depth + "}"
    response = client.post(
        f"{API}/auth/register", content=raw.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code in (413, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert database_snapshot(db) == before


def test_nul_split_over_streamed_chunks_is_caught(client, db):
    before = database_snapshot(db)
    raw = json.dumps(
        {"email": "c@example.org", "password": PASSWORD, "name": "A\x00", "side": "teacher"}
    )
    cut = raw.index("\\u0000") + 3

    def chunks():  # type: ignore[no-untyped-def]
        yield raw[:cut].encode()
        yield raw[cut:].encode()

    response = client.post(
        f"{API}/auth/register", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_422(response, ["body", "name"])
    assert database_snapshot(db) == before


def test_an_escaped_backslash_before_u0000_is_text_not_nul(client, db):
    # '\\u0000' in JSON is a backslash followed by "u0000": ordinary text, accepted.
    raw = '{"email": "bs@example.org", "password": "%s", "name": "A\\\\u0000", "side": "teacher"}'
    response = client.post(
        f"{API}/auth/register",
        content=(raw % PASSWORD).encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "A\\u0000"


def test_nul_in_a_query_parameter_is_422(client, db, make_staff, make_participant):
    participant = make_participant("teacher")
    coordinator = make_staff("coordinator", ["rotterdam"])
    before = database_snapshot(db)
    assert_422(
        client.get(
            f"{API}/coordinator/participants?region=rotter%00dam", headers=coordinator.headers
        ),
        ["query", "region"],
    )
    assert_422(
        client.get(f"{API}/coordinator/stats", params={"region": NUL}, headers=coordinator.headers),
        ["query", "region"],
    )
    assert_422(
        client.get(f"{API}/matches?status=trial%00", headers=participant.headers),
        ["query", "status"],
    )
    assert database_snapshot(db) == before


def test_percent_25_00_in_a_query_is_text_not_nul(client, make_staff):
    coordinator = make_staff("coordinator", ["rotterdam"])
    response = client.get(
        f"{API}/coordinator/participants?region=%2500", headers=coordinator.headers
    )
    # "%00" as text is just an unknown region: not a NUL character.
    assert response.status_code != 422 or response.json()["errors"][0]["loc"] != ["query", "region"]
    assert response.status_code < 500


# --- forged cursors -----------------------------------------------------------------------------

FORGED = [
    [True],
    [2**40],
    [0],
    [-1],
    [1.5],
    ["1"],
    [None],
    [1, 2],
    [],
    {"id": 1},
    "abc",
    1,
]


@pytest.mark.parametrize("position", FORGED, ids=repr)
def test_forged_id_cursor_is_422_on_every_id_list(client, make_participant, make_staff, position):
    participant = make_participant("teacher")
    coordinator = make_staff("coordinator", ["rotterdam"])
    for path, who in (
        ("/matches", participant),
        ("/notifications", participant),
        ("/coordinator/participants", coordinator),
        ("/coordinator/matches", coordinator),
    ):
        response = client.get(
            f"{API}{path}", params={"cursor": cursor_of(position)}, headers=who.headers
        )
        assert_422(response, ["query", "cursor"])


@pytest.mark.parametrize(
    "position",
    [
        ["2027-01-18", True],
        ["2027-01-18", 2**40],
        ["2027-01-18", 0],
        ["2027-01-18", -5],
        ["2027-01-18", 1.5],
        ["2027-01-18", "1"],
        ["0001-01-01", 1],
        ["9999-12-31", 1],
        ["2027-02-30", 1],
        ["2027-01-18T10:00:00", 1],
        [20270118, 1],
        [True, 1],
        [None, 1],
        ["2027-01-18"],
        ["2027-01-18", 1, 2],
    ],
    ids=repr,
)
def test_forged_meetings_cursor_is_422(client, pair, position):
    teacher, _, match = pair
    response = client.get(
        f"{API}/matches/{match['id']}/meetings",
        params={"cursor": cursor_of(position)},
        headers=teacher.headers,
    )
    assert_422(response, ["query", "cursor"])


def test_meetings_cursor_from_the_api_still_pages(client, pair):
    teacher, _, match = pair
    today = clock.now().date()
    for hours in (1, 2, 3):
        logged = client.post(
            f"{API}/matches/{match['id']}/meetings",
            json={"date": today.isoformat(), "hours": hours, "activity": "workplace_visit"},
            headers=teacher.headers,
        )
        assert logged.status_code == 201, logged.text
    first = client.get(f"{API}/matches/{match['id']}/meetings?limit=2", headers=teacher.headers)
    assert first.status_code == 200 and first.json()["next_cursor"]
    second = client.get(
        f"{API}/matches/{match['id']}/meetings",
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=teacher.headers,
    )
    assert second.status_code == 200, second.text
    assert [m["hours"] for m in first.json()["items"] + second.json()["items"]] == [3, 2, 1]


@pytest.mark.parametrize(
    "position",
    [
        [0.5, True],
        [0.5, 2**40],
        [0.5, 0],
        [True, 1],
        [1.5, 1],
        [-1.5, 1],  # the ordering key (score minus price) lies in [-1, 1]
        ["0.5", 1],
        [0.5],
        [0.5, 1, 1],
    ],
    ids=repr,
)
def test_forged_feed_cursor_is_422(client, make_participant, position):
    make_participant("professional")
    teacher = make_participant("teacher")
    response = client.get(
        f"{API}/feed", params={"cursor": cursor_of(position)}, headers=teacher.headers
    )
    assert_422(response, ["query", "cursor"])


@pytest.mark.parametrize("literal", ["[NaN, 1]", "[Infinity, 1]", "[-Infinity, 1]", "[1e999, 1]"])
def test_non_finite_feed_cursor_is_422(client, make_participant, literal):
    make_participant("professional")
    teacher = make_participant("teacher")
    forged = base64.urlsafe_b64encode(literal.encode()).decode().rstrip("=")
    response = client.get(f"{API}/feed", params={"cursor": forged}, headers=teacher.headers)
    assert_422(response, ["query", "cursor"])


# --- extreme dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"from": "0001-01-01T00:00:00+14:00"}, ["query", "from"]),
        ({"to": "9999-12-31T23:59:59-14:00"}, ["query", "to"]),
        ({"from": "0001-01-01T00:00:00"}, ["query", "from"]),
        ({"to": "9999-12-31T23:59:59"}, ["query", "to"]),
        ({"from": "1999-12-31T23:59:59Z"}, ["query", "from"]),
        ({"to": "2101-01-01T00:00:00Z"}, ["query", "to"]),
        ({"from": "0"}, ["query", "from"]),
    ],
)
def test_extreme_stats_period_is_422(client, make_staff, params, loc):
    coordinator = make_staff("coordinator", ["rotterdam"])
    response = client.get(f"{API}/coordinator/stats", params=params, headers=coordinator.headers)
    assert_422(response, loc)


def test_stats_period_within_bounds_counts_in_utc(client, make_staff, make_participant):
    coordinator = make_staff("coordinator", ["rotterdam"])
    teacher = make_participant("teacher")
    pro = make_participant("professional")
    mutual_match(client, teacher, pro)
    now = clock.now()
    around = {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).astimezone().isoformat(),
    }
    inside = client.get(f"{API}/coordinator/stats", params=around, headers=coordinator.headers)
    assert inside.status_code == 200, inside.text
    wide = {"from": "2000-01-01T00:00:00+14:00", "to": "2100-12-31T23:59:59-14:00"}
    widest = client.get(f"{API}/coordinator/stats", params=wide, headers=coordinator.headers)
    assert widest.status_code == 200, widest.text
    assert widest.json() == inside.json() | {
        "period_from": widest.json()["period_from"],
        "period_to": widest.json()["period_to"],
    }
    # Answers are in UTC: the +14:00 start is 10:00 the day before.
    assert widest.json()["period_from"].startswith("1999-12-31T10:00:00")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_date", "0001-01-01"),
        ("start_date", "9999-12-31"),
        ("planned_end", "9999-12-31"),
        ("planned_end", "0001-01-01"),
    ],
)
def test_extreme_plan_dates_are_422(client, db, pair, field, value):
    teacher, _, match = pair
    today = clock.now().date()
    body = {
        "start_date": today.isoformat(),
        "planned_end": (today + timedelta(days=120)).isoformat(),
    }
    before = database_snapshot(db)
    response = client.put(
        f"{API}/matches/{match['id']}/plan", json=body | {field: value}, headers=teacher.headers
    )
    assert_422(response, ["body", field])
    assert database_snapshot(db) == before


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_extreme_meeting_dates_are_422(client, db, pair, value):
    teacher, _, match = pair
    before = database_snapshot(db)
    response = client.post(
        f"{API}/matches/{match['id']}/meetings",
        json={"date": value, "hours": 1, "activity": "workplace_visit"},
        headers=teacher.headers,
    )
    assert_422(response, ["body", "date"])
    assert database_snapshot(db) == before
