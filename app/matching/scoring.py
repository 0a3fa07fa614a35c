"""Reciprocal, explainable scoring of one participant against a pool.

Each component is a number in [0, 1]:

- **subject** (vakinhoud): the best relatedness between any of my subject fields and theirs
  (a relatedness map, not just equal codes), with the education background (opleiding) counting
  at 80 %. What the fit is worth depends on the person's match mode (`_subject_value`): for a
  `surprise` participant it is turned around — distance between the fields is what they asked
  for (verrassingsmatch) — while the other components still count.
- **motivation** (motivatie / leerdoelen): shared learning goals (cosine of the two sets),
  complementary goals (a teacher who wants practice in the lessons with a professional who
  wants to teach pupils something from their field), and shared expected outcomes.
- **region** (regio / nabijheid): distance on the shipped coordinates, decaying linearly to 0 at
  the person's own `max_travel_km`, with a bonus for the same region.
- **availability** (beschikbaarheid): shared months relative to the trajectory length, hours per
  month against the evaluation's norm of 7–8 h, and compatible trajectory lengths.

Each side scores the other with its own mode and weights (a weighted mean of the components).
The two directions are combined with the **harmonic mean**: it is high only when both are high
and falls towards the lower of the two, so a pair one side would dislike cannot rank high,
whatever the other side thinks (the arithmetic mean would let enthusiasm on one side hide it).
"""

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.matching.features import MODES, Pool, codebook

EARTH_RADIUS_KM = 6371.0088
HOURS_NORM = 7.5  # the evaluation's 7–8 hours a month
HOURS_FLOOR = 2.0  # below ~3.5 h/month the pilot saw no goals reached


# What a subject fit is worth in each match mode, as `offset + slope * fit` (see below).
_VALUE_LINES = {"subject": (0.0, 1.0), "surprise": (1.0, -1.0), "balanced": (0.5, 0.5)}
_MODE_OFFSET = np.array([_VALUE_LINES[mode][0] for mode in MODES])
_MODE_SLOPE = np.array([_VALUE_LINES[mode][1] for mode in MODES])


def _subject_value(
    mode: int | npt.NDArray[np.int8], fit: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """How much a subject fit is worth to someone in this match mode (one mode, or one per row).

    `subject` (vakinhoudelijk) wants fit; `surprise` (verrassingsmatch) wants distance;
    `balanced` values fit but finds an unrelated field half-good (open to a surprise). Without
    that, a surprise participant's wish would be cancelled out by every balanced candidate.
    """
    return _MODE_OFFSET[mode] + _MODE_SLOPE[mode] * fit


@dataclass(slots=True)
class Scores:
    """Scores of one viewer against every row of a pool."""

    score: npt.NDArray[np.float64]  # reciprocal score, [0, 1]
    breakdown: npt.NDArray[np.float64]  # (N, 4): subject, motivation, region, availability
    distance_km: npt.NDArray[np.float64]
    subject_fit: npt.NDArray[np.float64]  # raw relatedness, before a surprise turn-around
    own: npt.NDArray[np.float64]  # the viewer's one-directional score of each candidate


def _popcount(values: npt.NDArray[np.uint64] | npt.NDArray[np.uint16]) -> npt.NDArray[np.int64]:
    return np.bitwise_count(values).astype(np.int64)


def _haversine(
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    cos_lat: npt.NDArray[np.float64],
    point_lat: float,
    point_lon: float,
) -> npt.NDArray[np.float64]:
    """The haversine term between one point and many (radians): distance grows with it."""
    term: npt.NDArray[np.float64] = (
        np.sin((lat - point_lat) / 2) ** 2
        + np.cos(point_lat) * cos_lat * np.sin((lon - point_lon) / 2) ** 2
    )
    return term


def _km(haversine: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(haversine, 0.0, 1.0)))


def distance_km(pool: Pool, lat: float, lon: float) -> npt.NDArray[np.float64]:
    """Haversine distance from one point (radians) to every row of the pool."""
    return _km(_haversine(pool.lat, pool.lon, pool.cos_lat, lat, lon))


def _within(
    pool: Pool, eligible: npt.NDArray[np.bool_], lat: float, lon: float, reach_km: float
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """Eligible rows within `reach_km` of the point, and their distances.

    The whole pool is compared without trigonometry: the haversine term equals
    (1 - p·q) / 2 for unit vectors p and q, so a dot product with the point's vector, and a
    little slack for its rounding, selects a superset. The exact distance is then computed for
    those rows only, and decides.
    """
    bound = math.sin(min(reach_km / (2 * EARTH_RADIUS_KM), math.pi / 2)) ** 2 + 1e-12
    # The point as `features.unit_vectors` makes it, in plain floats (one point, no arrays).
    x, y, z = math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)
    xyz = pool.xyz
    quick = (1.0 - (xyz[:, 0] * x + xyz[:, 1] * y + xyz[:, 2] * z)) / 2
    rows = np.flatnonzero(eligible & (quick <= bound))
    dist = _km(_haversine(pool.lat[rows], pool.lon[rows], pool.cos_lat[rows], lat, lon))
    near = dist <= reach_km
    return rows[near], dist[near]


def _set_similarity(mine: np.uint64, theirs: npt.NDArray[np.uint64]) -> npt.NDArray[np.float64]:
    """|A ∩ B| / sqrt(|A| |B|): cosine similarity of two code sets (0 when either is empty)."""
    shared = _popcount(theirs & mine).astype(np.float64)
    sizes = _popcount(theirs).astype(np.float64) * float(_popcount(np.array([mine]))[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sizes > 0, shared / np.sqrt(sizes), 0.0)


# The arrays of `pool` that score_pool reads when it is given the distances.
SCORED = (
    "subjects",
    "education",
    "goals",
    "goal_complements",
    "outcomes",
    "region",
    "max_travel",
    "months",
    "duration",
    "hours",
    "mode",
    "weights",
)


def score_pool(viewer: Pool, pool: Pool, dist: npt.NDArray[np.float64] | None = None) -> Scores:
    """Score the single participant in `viewer` against every participant in `pool`.

    `dist`: the distances from the viewer to the pool's rows, when the caller has them.
    """
    assert len(viewer) == 1, "the viewer pool holds exactly one participant"
    rel = codebook().relatedness
    # Best relatedness between any of my subjects and each of theirs.
    best_for_mine = rel[viewer.subjects[0]].max(axis=0)  # (S + 1,)
    fit = best_for_mine[pool.subjects].max(axis=1).astype(np.float64)
    # Education background in either direction, at 80 % of a subject field's weight.
    theirs_edu = best_for_mine[pool.education].astype(np.float64)
    mine_edu = rel[viewer.education[0]][pool.subjects].max(axis=1).astype(np.float64)
    fit = np.maximum(fit, 0.8 * np.maximum(theirs_edu, mine_edu))

    # Complementary goal pairs counted from both sides, so the value is symmetric.
    complementary = (
        np.minimum(
            _popcount(pool.goals & viewer.goal_complements[0])
            + _popcount(viewer.goals[0] & pool.goal_complements),
            4,
        )
        / 4.0
    )
    motivation = (
        0.5 * _set_similarity(viewer.goals[0], pool.goals)
        + 0.25 * complementary
        + 0.25 * _set_similarity(viewer.outcomes[0], pool.outcomes)
    )

    if dist is None:
        dist = distance_km(pool, float(viewer.lat[0]), float(viewer.lon[0]))
    same_region = (pool.region == viewer.region[0]).astype(np.float64)
    near_me = np.clip(1.0 - dist / float(viewer.max_travel[0]), 0.0, 1.0)
    near_them = np.clip(1.0 - dist / pool.max_travel.astype(np.float64), 0.0, 1.0)

    shared_months = _popcount(pool.months & viewer.months[0]).astype(np.float64)
    shortest = np.minimum(pool.duration, viewer.duration[0]).astype(np.float64)
    months_score = np.clip(shared_months / shortest, 0.0, 1.0)
    least_hours = np.minimum(pool.hours, viewer.hours[0]).astype(np.float64)
    hours_score = np.clip((least_hours - HOURS_FLOOR) / (HOURS_NORM - HOURS_FLOOR), 0.0, 1.0)
    duration_score = 1.0 - np.abs(pool.duration - viewer.duration[0]).astype(np.float64) / 3.0
    availability = 0.5 * months_score + 0.3 * hours_score + 0.2 * duration_score

    # Direction viewer → candidate, with the viewer's mode and weights.
    my_subject = _subject_value(int(viewer.mode[0]), fit)
    my_region = 0.85 * near_me + 0.15 * same_region
    w = viewer.weights[0].astype(np.float64)
    mine = w[0] * my_subject + w[1] * motivation + w[2] * my_region + w[3] * availability

    # Direction candidate → viewer, with each candidate's own mode and weights.
    their_subject = _subject_value(pool.mode, fit)
    their_region = 0.85 * near_them + 0.15 * same_region
    pw = pool.weights.astype(np.float64)
    theirs = (
        pw[:, 0] * their_subject
        + pw[:, 1] * motivation
        + pw[:, 2] * their_region
        + pw[:, 3] * availability
    )

    with np.errstate(divide="ignore", invalid="ignore"):
        combined = np.where(mine + theirs > 0, 2 * mine * theirs / (mine + theirs), 0.0)
    breakdown = np.column_stack(
        (
            (my_subject + their_subject) / 2,
            motivation,
            (my_region + their_region) / 2,
            availability,
        )
    )
    return Scores(
        score=np.clip(combined, 0.0, 1.0),
        breakdown=np.clip(breakdown, 0.0, 1.0),
        distance_km=dist,
        subject_fit=fit,
        own=mine,
    )


def rank(scores: Scores, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
    """Row order: score descending, then id ascending (deterministic)."""
    return np.lexsort((ids, -np.round(scores.score, 6)))


@dataclass(slots=True)
class Ranked:
    """One page of a viewer's ranking: pool rows best first, with their scores."""

    rows: npt.NDArray[np.intp]  # rows of the pool, in feed order
    scores: Scores  # aligned with `rows`; `score` is the plain reciprocal score (rounded)
    more: bool  # further candidates follow this page
    keys: npt.NDArray[np.float64]  # the ordering key of each row (score - price, rounded)


def rank_page(
    viewer: Pool,
    pool: Pool,
    eligible: npt.NDArray[np.bool_],
    *,
    limit: int,
    after: tuple[float, int] | None = None,
    decimals: int = 6,
    price: npt.NDArray[np.float64] | None = None,
    both_limits: bool = True,
) -> Ranked:
    """The viewer's next page: eligible rows within reach, by ordering key descending then id
    ascending, strictly after the `after` (key, id) position.

    Within reach means within the viewer's `max_travel_km` and, with `both_limits` (the
    feed's rule, the one `best_pairing` uses), within the candidate's own too: someone whose
    deck never shows me cannot become a match. The ordering key is the reciprocal score minus
    the candidate's congestion `price` (one per pool row, see `app.matching.congestion`;
    none: the key is the score). The scores returned are the plain reciprocal ones.

    Distance is computed for the whole pool (cheap) so that only candidates within reach are
    scored, and only the page's top is sorted.
    """
    rows, dist = _within(
        pool, eligible, float(viewer.lat[0]), float(viewer.lon[0]), float(viewer.max_travel[0])
    )
    if both_limits:
        mutual = dist <= pool.max_travel[rows]
        rows, dist = rows[mutual], dist[mutual]
    scores = score_pool(viewer, pool.take(rows, SCORED), dist)
    rounded = np.round(scores.score, decimals)
    keys = rounded if price is None else np.round(scores.score - price[rows], decimals)
    ids = pool.ids[rows]
    if after is not None:
        after_key, after_id = after
        keep = (keys < after_key) | ((keys == after_key) & (ids > after_id))
        rows, rounded, keys, ids = rows[keep], rounded[keep], keys[keep], ids[keep]
        scores = _subset(scores, keep)
    if len(rows) > limit + 1:
        # Everything keyed at least the (limit+1)-th best, ties included, then a full sort.
        threshold = np.partition(keys, len(keys) - (limit + 1))[len(keys) - (limit + 1)]
        top = keys >= threshold
        rows, rounded, keys, ids = rows[top], rounded[top], keys[top], ids[top]
        scores = _subset(scores, top)
    order = np.lexsort((ids, -keys))
    more = len(order) > limit
    order = order[:limit]
    scores = _subset(scores, order)
    scores.score = rounded[order]
    return Ranked(rows=rows[order], scores=scores, more=more, keys=keys[order])


def _subset(scores: Scores, index: npt.NDArray[np.bool_] | npt.NDArray[np.intp]) -> Scores:
    return Scores(
        score=scores.score[index],
        breakdown=scores.breakdown[index],
        distance_km=scores.distance_km[index],
        subject_fit=scores.subject_fit[index],
        own=scores.own[index],
    )
