"""GET /vocabulary: the code lists a client needs to build its forms, no login needed."""

import pytest

from tests.conftest import API

LABELLED = ["subjects", "organisation_types", "goals", "outcomes", "activities", "regions"]
LABELLED += ["exit_reasons", "report_reasons"]
REQUIRED_REGIONS = {"amsterdam", "rotterdam", "den-haag", "utrecht", "gelderland", "eindhoven"}


@pytest.fixture
def vocabulary(client):  # type: ignore[no-untyped-def]
    response = client.get(f"{API}/vocabulary")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_all_lists_are_present_and_not_empty(vocabulary):
    assert set(LABELLED) | {"places"} <= vocabulary.keys()
    for name in [*LABELLED, "places"]:
        assert isinstance(vocabulary[name], list) and vocabulary[name], name


@pytest.mark.parametrize("name", LABELLED)
def test_every_item_has_code_and_dutch_and_english_labels(vocabulary, name):
    codes = [item["code"] for item in vocabulary[name]]
    assert len(codes) == len(set(codes)), f"{name} repeats a code"
    for item in vocabulary[name]:
        for key in ("code", "nl", "en"):
            assert isinstance(item[key], str) and item[key].strip(), (name, item)


def test_activities_carry_indicative_hours(vocabulary):
    for item in vocabulary["activities"]:
        assert item["hours"] > 0, item


def test_places_have_code_name_region_and_no_coordinates(vocabulary):
    regions = {item["code"] for item in vocabulary["regions"]}
    for place in vocabulary["places"]:
        assert {"code", "name", "region"} <= place.keys(), place
        assert not {"lat", "lon", "latitude", "longitude"} & place.keys(), place
        assert place["region"] in regions, place


def test_required_regions_are_lowercase_slugs(vocabulary):
    codes = {item["code"] for item in vocabulary["regions"]}
    assert REQUIRED_REGIONS <= codes
    for code in codes:
        assert code == code.lower() and " " not in code


@pytest.mark.parametrize(
    ("place", "name", "region"),
    [
        ("rotterdam", "Rotterdam", "rotterdam"),
        ("den-haag", "Den Haag", "den-haag"),
        ("amsterdam", "Amsterdam", "amsterdam"),
        ("utrecht", "Utrecht", "utrecht"),
        ("eindhoven", "Eindhoven", "eindhoven"),
    ],
)
def test_a_region_named_after_a_city_contains_that_place(vocabulary, place, name, region):
    places = {item["code"]: item for item in vocabulary["places"]}
    assert places[place]["name"] == name
    assert places[place]["region"] == region


def test_organisation_types_say_which_side_they_belong_to(vocabulary):
    sides = {item["code"]: item.get("side") for item in vocabulary["organisation_types"]}
    assert sides["gymnasium"] == "teacher"
    assert sides["openbaar_vervoer"] == "professional"


def test_vocabulary_codes_are_accepted_in_a_profile(client, vocabulary, make_participant):
    """What the vocabulary lists, PUT /me/profile takes (the lists are the real allow-lists)."""
    teacher = make_participant("teacher", profile=False)
    body = {
        "headline": "Docent",
        "subjects": [item["code"] for item in vocabulary["subjects"]][:10],
        "goals": [item["code"] for item in vocabulary["goals"]],
        "outcomes": [item["code"] for item in vocabulary["outcomes"]],
        "place": vocabulary["places"][-1]["code"],
    }
    response = client.put(f"{API}/me/profile", json=body, headers=teacher.headers)
    assert response.status_code == 200, response.text
    assert response.json()["region"] == vocabulary["places"][-1]["region"]


def test_vocabulary_is_the_same_with_a_token(client, vocabulary, make_participant):
    person = make_participant("teacher", profile=False)
    assert client.get(f"{API}/vocabulary", headers=person.headers).json() == vocabulary
