"""Coordinator pairing: the one-to-one pairing of a region's unmatched teachers and
professionals with the highest total reciprocal score (optimal assignment, Hungarian-style,
via `scipy.optimize.linear_sum_assignment`).

Pairs that must not be proposed — blocked, matched before, beyond either person's travel
limit — are worth 0 to the solver and are left out of the answer: assigning one is the same as
leaving both people unpaired. So the answer maximises the total score over allowed pairs, and
may leave someone unpaired when pairing them would cost others more than it adds.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment

from app.matching.features import Pool
from app.matching.scoring import _within, score_pool


@dataclass(frozen=True, slots=True)
class Pair:
    teacher_id: int
    professional_id: int
    score: float
    breakdown: tuple[float, float, float, float]
    distance_km: float


def score_matrix(
    teachers: Pool, professionals: Pool
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Reciprocal scores (T × P, -1 beyond either travel limit), breakdowns (T × P × 4) and
    distances."""
    t, p = len(teachers), len(professionals)
    scores = np.empty((t, p), dtype=np.float64)
    breakdown = np.empty((t, p, 4), dtype=np.float64)
    distance = np.empty((t, p), dtype=np.float64)
    for row in range(t):
        result = score_pool(teachers.take(np.array([row])), professionals)
        reach = np.minimum(professionals.max_travel, teachers.max_travel[row])
        scores[row] = np.where(result.distance_km <= reach, result.score, -1.0)
        breakdown[row] = result.breakdown
        distance[row] = result.distance_km
    return scores, breakdown, distance


def reachable_scores(
    teachers: Pool,
    professionals: Pool,
    forbidden: set[tuple[int, int]] | None = None,
    *,
    dtype: type[np.floating] = np.float64,
) -> "sp.csr_matrix":
    """Reciprocal scores of the pairs that can become a match, as a sparse T × P matrix:
    within both travel limits (the rule of `score_matrix` and the feed) and not forbidden.
    Stored entries are the possible pairs (a score of 0 stays an explicit entry)."""
    forbidden_cols: dict[int, list[int]] = {}
    if forbidden:
        p_index = {int(uid): j for j, uid in enumerate(professionals.ids)}
        for teacher_id, professional_id in forbidden:
            if professional_id in p_index:
                forbidden_cols.setdefault(teacher_id, []).append(p_index[professional_id])
    indptr = [0]
    indices: list[npt.NDArray[np.intp]] = []
    data: list[npt.NDArray[np.floating]] = []
    everyone = np.ones(len(professionals), dtype=bool)
    for row in range(len(teachers)):
        # Only the professionals within the teacher's reach are scored (the feed's reach test).
        cols, dist = _within(
            professionals,
            everyone,
            float(teachers.lat[row]),
            float(teachers.lon[row]),
            float(teachers.max_travel[row]),
        )
        allowed = dist <= professionals.max_travel[cols]
        banned = forbidden_cols.get(int(teachers.ids[row]))
        if banned:
            allowed &= ~np.isin(cols, banned)
        cols, dist = cols[allowed], dist[allowed]
        result = score_pool(teachers.take(np.array([row])), professionals.take(cols), dist)
        indices.append(cols)
        data.append(result.score.astype(dtype))
        indptr.append(indptr[-1] + len(cols))
    shape = (len(teachers), len(professionals))
    if not indices:
        return sp.csr_matrix(shape, dtype=dtype)
    return sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=shape
    )


def best_pairing(
    teachers: Pool, professionals: Pool, forbidden: set[tuple[int, int]] | None = None
) -> list[Pair]:
    """The pairing with the highest total score; best pairs first."""
    if len(teachers) == 0 or len(professionals) == 0:
        return []
    scores, breakdown, distance = score_matrix(teachers, professionals)
    allowed = scores >= 0
    if forbidden:
        t_index = {int(uid): i for i, uid in enumerate(teachers.ids)}
        p_index = {int(uid): j for j, uid in enumerate(professionals.ids)}
        for teacher_id, professional_id in forbidden:
            if teacher_id in t_index and professional_id in p_index:
                allowed[t_index[teacher_id], p_index[professional_id]] = False
    rows, cols = linear_sum_assignment(np.where(allowed, scores, 0.0), maximize=True)
    pairs = [
        Pair(
            teacher_id=int(teachers.ids[r]),
            professional_id=int(professionals.ids[c]),
            score=round(float(scores[r, c]), 6),
            breakdown=tuple(round(float(v), 4) for v in breakdown[r, c]),  # type: ignore[arg-type]
            distance_km=float(distance[r, c]),
        )
        for r, c in zip(rows, cols, strict=True)
        if allowed[r, c]
    ]
    return sorted(pairs, key=lambda pair: (-pair.score, pair.teacher_id))
