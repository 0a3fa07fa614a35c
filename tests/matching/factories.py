"""Hand-made participants for the ranking tests (plain data, no database)."""

from collections.abc import Sequence

import numpy as np

from app.matching.features import Participant, Pool, build_pool
from app.matching.scoring import Scores, score_pool
from app.vocabulary import get_vocabulary

FIRST_HALF = (1, 2, 3, 4, 5, 6)


def person(
    user_id: int,
    side: str = "teacher",
    subjects: Sequence[str] = ("natuurkunde",),
    *,
    place: str = "rotterdam",
    max_travel_km: float = 30.0,
    hours_per_month: float = 8.0,
    months: Sequence[int] = FIRST_HALF,
    duration_months: int = 3,
    goals: Sequence[str] = ("other_world",),
    outcomes: Sequence[str] = ("richer_experience",),
    match_mode: str = "balanced",
    weights: tuple[float, float, float, float] | None = None,
    education: str | None = None,
) -> Participant:
    """A participant living in `place` (a vocabulary place code)."""
    where = get_vocabulary().places[place]
    return Participant(
        user_id=user_id,
        side=side,
        subjects=tuple(subjects),
        lat=where.lat,
        lon=where.lon,
        region=where.region,
        max_travel_km=max_travel_km,
        hours_per_month=hours_per_month,
        months=tuple(months),
        duration_months=duration_months,
        goals=tuple(goals),
        outcomes=tuple(outcomes),
        match_mode=match_mode,
        weights=weights,
        education=education,
    )


def viewer_pool(participant: Participant) -> Pool:
    return build_pool([participant])


def score(viewer: Participant, candidates: Sequence[Participant]) -> Scores:
    """The viewer's reciprocal scores against each candidate, in the candidates' order."""
    return score_pool(build_pool([viewer]), build_pool(list(candidates)))


def pair_score(a: Participant, b: Participant) -> float:
    return float(score(a, [b]).score[0])


def pair_breakdown(a: Participant, b: Participant) -> np.ndarray:
    return score(a, [b]).breakdown[0]
