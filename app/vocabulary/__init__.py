"""The controlled vocabularies of Job Tinder: subjects, organisation types, goals, outcomes,
activities, exit reasons, report reasons, regions and places.

The data ships as JSON files in this package (see SOURCES.md) and is loaded once, validated, by
:func:`get_vocabulary`. ``places.json`` is generated at build time by ``scripts/build_places.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = [
    "Place",
    "Vocabulary",
    "get_vocabulary",
    "organisation_type_codes_for",
    "subject_relatedness",
]

SIDES = ("teacher", "professional")


@dataclass(frozen=True, slots=True)
class Place:
    code: str  # lowercase slug, e.g. "rotterdam", "den-haag", "s-hertogenbosch"
    name: str  # Dutch display name, e.g. "Den Haag", "'s-Hertogenbosch"
    region: str  # region code
    lat: float
    lon: float


def _codes(items: tuple[dict[str, Any], ...]) -> frozenset[str]:
    return frozenset(item["code"] for item in items)


def _labels(items: tuple[dict[str, Any], ...], *extra: str) -> list[dict[str, Any]]:
    return [{k: item[k] for k in ("code", "nl", "en", *extra)} for item in items]


# One code list entry as read from its JSON file; the comments below give each list's keys.
Entry = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    subjects: tuple[Entry, ...]  # {code, nl, en, group, related: {code: float}} (symmetric)
    organisation_types: tuple[Entry, ...]  # {code, nl, en, side: "teacher"|"professional"}
    goals: tuple[Entry, ...]  # {code, nl, en, family: "own"|"pupil"|"organisation", sides}
    outcomes: tuple[Entry, ...]  # {code, nl, en, number: 1..14, horizon: "short"|"long"}
    activities: tuple[Entry, ...]  # {code, nl, en, hours}
    exit_reasons: tuple[Entry, ...]  # {code, nl, en}
    report_reasons: tuple[Entry, ...]  # {code, nl, en}: why a participant reports someone
    regions: tuple[Entry, ...]  # {code, nl, en}
    places: dict[str, Place]  # by code
    subject_codes: frozenset[str] = field(init=False)
    organisation_type_codes: frozenset[str] = field(init=False)
    goal_codes: frozenset[str] = field(init=False)
    outcome_codes: frozenset[str] = field(init=False)
    activity_codes: frozenset[str] = field(init=False)
    exit_reason_codes: frozenset[str] = field(init=False)
    report_reason_codes: frozenset[str] = field(init=False)
    region_codes: frozenset[str] = field(init=False)
    _related: dict[str, dict[str, float]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        related = {s["code"]: dict(s.get("related", {})) for s in self.subjects}
        object.__setattr__(self, "_related", related)
        for name, items in (
            ("subject_codes", self.subjects),
            ("organisation_type_codes", self.organisation_types),
            ("goal_codes", self.goals),
            ("outcome_codes", self.outcomes),
            ("activity_codes", self.activities),
            ("exit_reason_codes", self.exit_reasons),
            ("report_reason_codes", self.report_reasons),
            ("region_codes", self.regions),
        ):
            codes = _codes(items)
            if len(codes) != len(items):
                raise ValueError(f"vocabulary: duplicate codes in {name}")
            object.__setattr__(self, name, codes)

    def relatedness(self, a: str, b: str) -> float:
        """1.0 for the same code, the (symmetric) related weight, else 0.0."""
        if a == b:
            return 1.0
        rel = self._related
        return float(max(rel.get(a, {}).get(b, 0.0), rel.get(b, {}).get(a, 0.0)))

    def organisation_type_codes_for(self, side: str) -> frozenset[str]:
        if side not in SIDES:
            raise ValueError(f"unknown side {side!r}")
        return frozenset(t["code"] for t in self.organisation_types if t["side"] == side)

    def public(self) -> dict[str, list[dict[str, Any]]]:
        """The JSON body of GET /api/v1/vocabulary (fresh copies, no coordinates)."""
        return {
            "subjects": _labels(self.subjects, "group"),
            "organisation_types": _labels(self.organisation_types, "side"),
            "goals": _labels(self.goals, "family", "sides"),
            "outcomes": _labels(self.outcomes, "number", "horizon"),
            "activities": _labels(self.activities, "hours"),
            "places": [
                {"code": p.code, "name": p.name, "region": p.region} for p in self.places.values()
            ],
            "regions": _labels(self.regions),
            "exit_reasons": _labels(self.exit_reasons),
            "report_reasons": _labels(self.report_reasons),
        }


def _load(name: str) -> Any:
    return json.loads(files(__package__).joinpath(name).read_text(encoding="utf-8"))


def _items(name: str, **allowed: tuple[Any, ...]) -> tuple[dict[str, Any], ...]:
    """Load a code list; check code/nl/en are non-empty strings and enum fields are allowed."""
    items = tuple(_load(name))
    for item in items:
        for key in ("code", "nl", "en"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise ValueError(f"{name}: item {item!r} lacks {key!r}")
        for key, values in allowed.items():
            if item.get(key) not in values:
                raise ValueError(f"{name}: {item['code']}: {key}={item.get(key)!r}")
    return items


def _symmetric_related(subjects: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    codes = {s["code"] for s in subjects}
    related: dict[str, dict[str, float]] = {c: {} for c in codes}
    for s in subjects:
        for other, weight in s.get("related", {}).items():
            w = float(weight)
            if other not in codes or other == s["code"] or not 0.0 < w <= 1.0:
                raise ValueError(f"subjects.json: {s['code']}: bad related {other!r}={weight!r}")
            for a, b in ((s["code"], other), (other, s["code"])):
                related[a][b] = max(related[a].get(b, 0.0), w)
    return tuple({**s, "related": dict(sorted(related[s["code"]].items()))} for s in subjects)


@cache
def get_vocabulary() -> Vocabulary:
    regions = _items("regions.json")
    region_codes = {r["code"] for r in regions}
    places: dict[str, Place] = {}
    for row in _load("places.json"):
        place = Place(row["code"], row["name"], row["region"], float(row["lat"]), float(row["lon"]))
        if place.code in places or place.region not in region_codes:
            raise ValueError(f"places.json: duplicate code or unknown region: {row!r}")
        places[place.code] = place
    return Vocabulary(
        subjects=_symmetric_related(_items("subjects.json", group=("school", "field"))),
        organisation_types=_items("organisation_types.json", side=SIDES),
        goals=_items("goals.json", family=("own", "pupil", "organisation")),
        outcomes=_items("outcomes.json", number=tuple(range(1, 15)), horizon=("short", "long")),
        activities=_items("activities.json"),
        exit_reasons=_items("exit_reasons.json"),
        report_reasons=_items("report_reasons.json"),
        regions=regions,
        places=places,
    )


def subject_relatedness(a: str, b: str) -> float:
    """1.0 for the same code, else the symmetric related weight (max of both directions),
    0.0 for unrelated or unknown codes."""
    return get_vocabulary().relatedness(a, b)


def organisation_type_codes_for(side: str) -> frozenset[str]:
    """Organisation type codes for "teacher" (school types) or "professional" (sectors)."""
    return get_vocabulary().organisation_type_codes_for(side)
