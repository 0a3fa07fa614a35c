"""Participant features as plain data, and a pool of them packed into NumPy arrays."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from app.vocabulary import get_vocabulary, subject_relatedness

COMPONENTS = ("subject", "motivation", "region", "availability")
MODES = ("subject", "surprise", "balanced")
MAX_SUBJECTS = 10

# Default weights per match mode (vakinhoudelijk / verrassingsmatch / both).
MODE_WEIGHTS: dict[str, tuple[float, float, float, float]] = {
    "subject": (0.5, 0.2, 0.15, 0.15),
    "surprise": (0.3, 0.3, 0.2, 0.2),
    "balanced": (0.3, 0.3, 0.2, 0.2),
}


@dataclass(frozen=True, slots=True)
class Participant:
    """What the ranking needs to know about one participant."""

    user_id: int
    side: str
    subjects: tuple[str, ...]
    lat: float
    lon: float
    region: str
    max_travel_km: float
    hours_per_month: float
    months: tuple[int, ...]
    duration_months: int
    goals: tuple[str, ...]
    outcomes: tuple[str, ...]
    match_mode: str = "balanced"
    weights: tuple[float, float, float, float] | None = None
    education: str | None = None

    @property
    def effective_weights(self) -> tuple[float, float, float, float]:
        return self.weights if self.weights is not None else MODE_WEIGHTS[self.match_mode]


# Goals that complete each other across the two sides: a teacher who wants practice in their
# lessons and a professional who wants to teach pupils something from their field (the TNO
# evaluation's pupil-oriented goals), or both wanting a lasting school-company cooperation.
COMPLEMENTARY_GOALS = (
    ("practice_in_lessons", "teach_pupils_my_field"),
    ("practice_in_lessons", "show_company_to_pupils"),
    ("school_labour_market", "show_company_to_pupils"),
    ("school_labour_market", "teach_pupils_my_field"),
    ("learn_other_organisation", "support_initiative"),
    ("lasting_cooperation", "support_initiative"),
    ("people_skills", "practice_in_lessons"),
    ("innovate_own_organisation", "learn_other_organisation"),
)


@dataclass(frozen=True, slots=True)
class Codebook:
    """Integer indexes for every code, and the subject relatedness matrix."""

    subjects: dict[str, int]
    goals: dict[str, int]
    outcomes: dict[str, int]
    regions: dict[str, int]
    relatedness: npt.NDArray[np.float32]  # (S + 1, S + 1); last row/column is the padding
    complements: npt.NDArray[np.uint64]  # per goal bit: the mask of its complementary goals
    subject_words: tuple[tuple[str, int], ...]  # lower-case label words → subject index


@cache
def codebook() -> Codebook:
    vocab = get_vocabulary()
    subjects = [item["code"] for item in vocab.subjects]
    size = len(subjects)
    rel = np.zeros((size + 1, size + 1), dtype=np.float32)
    for i, a in enumerate(subjects):
        for j, b in enumerate(subjects):
            rel[i, j] = subject_relatedness(a, b)
    goals = {item["code"]: i for i, item in enumerate(vocab.goals)}
    complements = np.zeros(len(goals), dtype=np.uint64)
    for a, b in COMPLEMENTARY_GOALS:
        if a in goals and b in goals:
            complements[goals[a]] |= np.uint64(1 << goals[b])
            complements[goals[b]] |= np.uint64(1 << goals[a])
    words = []
    for i, item in enumerate(vocab.subjects):
        for label in (item["nl"], item["en"]):
            for word in label.lower().replace("&", " ").replace("/", " ").split():
                if len(word) >= 6:
                    words.append((word, i))
    return Codebook(
        subjects={code: i for i, code in enumerate(subjects)},
        goals=goals,
        outcomes={item["code"]: i for i, item in enumerate(vocab.outcomes)},
        regions={item["code"]: i for i, item in enumerate(vocab.regions)},
        relatedness=rel,
        complements=complements,
        subject_words=tuple(words),
    )


@lru_cache(maxsize=16384)
def education_subject(education: str | None) -> int:
    """The subject field an education background (opleiding) names, or the padding index.

    "HBO Werktuigbouwkunde" → werktuigbouwkunde; "WO Informatica" → informatica. Cached: it
    scans every label word, and the feed packs its caller's features on every request.
    """
    cb = codebook()
    if education:
        text = education.lower()
        for word, index in cb.subject_words:
            if word in text:
                return index
    return len(cb.subjects)


@lru_cache(maxsize=4096)
def complement_mask(goals_mask: int) -> int:
    """All goals that complement any of these goals."""
    comp = codebook().complements
    out = 0
    for bit in range(len(comp)):
        if goals_mask >> bit & 1:
            out |= int(comp[bit])
    return out


def _mask(codes: Sequence[str] | Sequence[int], index: dict[str, int] | None) -> int:
    bits = 0
    for code in codes:
        position = index[code] if index is not None else int(code) - 1  # type: ignore[index]
        bits |= 1 << position
    return bits


def unit_vectors(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Points on the sphere (radians) as unit vectors, one row each."""
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))


@dataclass(slots=True)
class Pool:
    """Features of many participants as parallel arrays (one row per participant)."""

    ids: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]  # radians
    lon: npt.NDArray[np.float64]
    cos_lat: npt.NDArray[np.float64]  # cos(lat), for the haversine distance
    xyz: npt.NDArray[np.float64]  # (N, 3): the place as a unit vector, for a quick reach test
    region: npt.NDArray[np.int16]
    max_travel: npt.NDArray[np.float32]
    hours: npt.NDArray[np.float32]
    months: npt.NDArray[np.uint16]  # bit m-1 set = available in month m
    duration: npt.NDArray[np.int8]
    goals: npt.NDArray[np.uint64]
    goal_complements: npt.NDArray[np.uint64]  # every goal complementing one of the row's goals
    outcomes: npt.NDArray[np.uint64]
    subjects: npt.NDArray[np.int16]  # (N, MAX_SUBJECTS), padded with S
    education: npt.NDArray[np.int16]  # subject index named by the opleiding, or S
    mode: npt.NDArray[np.int8]
    weights: npt.NDArray[np.float32]  # (N, 4), normalised to sum 1

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def take(
        self,
        rows: npt.NDArray[np.intp] | npt.NDArray[np.bool_],
        names: tuple[str, ...] | None = None,
    ) -> "Pool":
        """These rows; with `names`, only those arrays are copied and the others are left
        empty (for a caller that reads only those, e.g. `scoring.score_pool`)."""
        if names is None:
            return Pool(**{name: getattr(self, name)[rows] for name in self.__slots__})
        return Pool(
            **{
                name: getattr(self, name)[rows] if name in names else _empty()[name]
                for name in self.__slots__
            }
        )


def build_pool(participants: Sequence[Participant]) -> Pool:
    cb = codebook()
    n = len(participants)
    pad = len(cb.subjects)
    subjects = np.full((n, MAX_SUBJECTS), pad, dtype=np.int16)
    weights = np.zeros((n, 4), dtype=np.float32)
    for row, p in enumerate(participants):
        idx = [cb.subjects[s] for s in p.subjects[:MAX_SUBJECTS] if s in cb.subjects]
        subjects[row, : len(idx)] = idx
        w = np.asarray(p.effective_weights, dtype=np.float32)
        weights[row] = w / max(float(w.sum()), 1e-9)
    lat = np.radians(np.fromiter((p.lat for p in participants), dtype=np.float64, count=n))
    lon = np.radians(np.fromiter((p.lon for p in participants), dtype=np.float64, count=n))
    return Pool(
        ids=np.fromiter((p.user_id for p in participants), dtype=np.int64, count=n),
        lat=lat,
        lon=lon,
        cos_lat=np.cos(lat),
        xyz=unit_vectors(lat, lon),
        region=np.fromiter(
            (cb.regions.get(p.region, -1) for p in participants), dtype=np.int16, count=n
        ),
        max_travel=np.fromiter((p.max_travel_km for p in participants), np.float32, count=n),
        hours=np.fromiter((p.hours_per_month for p in participants), np.float32, count=n),
        months=np.fromiter((_mask(p.months, None) for p in participants), np.uint16, count=n),
        duration=np.fromiter((p.duration_months for p in participants), np.int8, count=n),
        goals=np.fromiter((_mask(p.goals, cb.goals) for p in participants), np.uint64, count=n),
        goal_complements=np.fromiter(
            (complement_mask(_mask(p.goals, cb.goals)) for p in participants), np.uint64, count=n
        ),
        outcomes=np.fromiter(
            (_mask(p.outcomes, cb.outcomes) for p in participants), np.uint64, count=n
        ),
        subjects=subjects,
        education=np.fromiter(
            (education_subject(p.education) for p in participants), np.int16, count=n
        ),
        mode=np.fromiter((MODES.index(p.match_mode) for p in participants), np.int8, count=n),
        weights=weights,
    )


@cache
def _empty() -> dict[str, Any]:
    """Zero rows of every array (read-only), for `Pool.take` with `names`."""
    empty = build_pool([])
    arrays = {name: getattr(empty, name) for name in Pool.__slots__}
    for array in arrays.values():
        array.setflags(write=False)
    return arrays
