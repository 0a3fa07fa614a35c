"""Unit tests for the shipped vocabularies (no app, no database)."""

from __future__ import annotations

import json
from itertools import combinations

import pytest

from app.vocabulary import (
    Place,
    Vocabulary,
    get_vocabulary,
    organisation_type_codes_for,
    subject_relatedness,
)

# list attribute -> its convenience code set
LISTS = {
    "subjects": "subject_codes",
    "organisation_types": "organisation_type_codes",
    "goals": "goal_codes",
    "outcomes": "outcome_codes",
    "activities": "activity_codes",
    "exit_reasons": "exit_reason_codes",
    "report_reasons": "report_reason_codes",
    "regions": "region_codes",
}
REQUIRED_REGIONS = {"amsterdam", "rotterdam", "den-haag", "utrecht", "gelderland", "eindhoven"}


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return get_vocabulary()


def test_cached(vocab: Vocabulary) -> None:
    assert get_vocabulary() is vocab


@pytest.mark.parametrize("name", LISTS)
def test_lists_nonempty_unique_labelled(vocab: Vocabulary, name: str) -> None:
    items = getattr(vocab, name)
    assert items
    codes = [item["code"] for item in items]
    assert len(codes) == len(set(codes))
    for item in items:
        assert item["code"] == item["code"].strip().lower()
        assert item["code"].isascii() and " " not in item["code"]
        assert item["nl"].strip() and item["en"].strip()
    assert getattr(vocab, LISTS[name]) == frozenset(codes)


def test_required_regions(vocab: Vocabulary) -> None:
    assert REQUIRED_REGIONS <= vocab.region_codes


@pytest.mark.parametrize(
    ("code", "name", "region"),
    [
        ("rotterdam", "Rotterdam", "rotterdam"),
        ("den-haag", "Den Haag", "den-haag"),
        ("amsterdam", "Amsterdam", "amsterdam"),
        ("utrecht", "Utrecht", "utrecht"),
        ("eindhoven", "Eindhoven", "eindhoven"),
        ("arnhem", "Arnhem", "gelderland"),
        ("nijmegen", "Nijmegen", "gelderland"),
        ("s-hertogenbosch", "'s-Hertogenbosch", "noord-brabant"),
    ],
)
def test_city_places(vocab: Vocabulary, code: str, name: str, region: str) -> None:
    place = vocab.places[code]
    assert isinstance(place, Place)
    assert (place.name, place.region) == (name, region)


def test_places(vocab: Vocabulary) -> None:
    assert 150 <= len(vocab.places) <= 500
    for code, place in vocab.places.items():
        assert code == place.code
        assert place.region in vocab.region_codes
        assert 50.7 <= place.lat <= 53.6 and 3.3 <= place.lon <= 7.3, place
    assert vocab.region_codes == {p.region for p in vocab.places.values()}


def test_outcomes(vocab: Vocabulary) -> None:
    assert [o["number"] for o in vocab.outcomes] == list(range(1, 15))
    horizon = {o["number"]: o["horizon"] for o in vocab.outcomes}
    assert all(horizon[n] == "short" for n in (1, 4, 5, 6, 9))
    assert all(horizon[n] == "long" for n in (3, 7, 12, 14))


def test_enums(vocab: Vocabulary) -> None:
    assert {s["group"] for s in vocab.subjects} == {"school", "field"}
    assert {g["family"] for g in vocab.goals} == {"own", "pupil", "organisation"}
    assert all(a["hours"] > 0 for a in vocab.activities)
    teacher = organisation_type_codes_for("teacher")
    professional = organisation_type_codes_for("professional")
    assert {"vmbo", "havo_vwo"} <= teacher and {"openbaar_vervoer", "ict"} <= professional
    assert teacher | professional == vocab.organisation_type_codes
    assert not teacher & professional
    with pytest.raises(ValueError):
        organisation_type_codes_for("coordinator")


def test_relatedness(vocab: Vocabulary) -> None:
    assert subject_relatedness("natuurkunde", "werktuigbouwkunde") > 0.5
    assert subject_relatedness("wiskunde", "data_ai") > 0.5
    assert subject_relatedness("zorg_welzijn", "gezondheidszorg") > 0.5
    assert subject_relatedness("natuurkunde", "natuurkunde") == 1.0
    assert subject_relatedness("lichamelijke_opvoeding", "bank_verzekeringen") == 0.0
    assert subject_relatedness("natuurkunde", "no-such-code") == 0.0
    codes = sorted(vocab.subject_codes)
    for a, b in combinations(codes, 2):
        w = subject_relatedness(a, b)
        assert w == subject_relatedness(b, a)
        assert 0.0 <= w <= 1.0
    for s in vocab.subjects:
        for other, w in s["related"].items():
            assert other in vocab.subject_codes and 0.0 < w <= 1.0
            assert w == subject_relatedness(other, s["code"])


def test_public(vocab: Vocabulary) -> None:
    body = vocab.public()
    assert set(body) == {
        "subjects",
        "organisation_types",
        "goals",
        "outcomes",
        "activities",
        "places",
        "regions",
        "exit_reasons",
        "report_reasons",
    }
    for items in body.values():
        assert items
        for item in items:
            assert {"code"} <= set(item)
            assert "lat" not in item and "lon" not in item and "related" not in item
    assert all(set(p) == {"code", "name", "region"} for p in body["places"])
    assert all({"nl", "en"} <= set(i) for k, v in body.items() if k != "places" for i in v)
    assert set(body["subjects"][0]) == {"code", "nl", "en", "group"}
    json.dumps(body)  # serialisable
    body["regions"].clear()  # a copy: the cached vocabulary is untouched
    assert vocab.public()["regions"]
