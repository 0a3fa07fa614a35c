"""The swipe deck: who I may see, ranked by the matching service, one page at a time."""

from collections import Counter
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.errors import PROFILE_INCOMPLETE, Conflict, Invalid
from app.matching import explain
from app.matching.features import Participant, build_pool
from app.matching.scoring import rank, score_pool
from app.models import Block, Match, Profile, Swipe, User
from app.pagination import decode_cursor, encode_cursor
from app.services.matches import involving, ongoing_clause
from app.vocabulary import get_vocabulary

SCORE_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class FeedItem:
    user_id: int
    score: float
    breakdown: dict[str, float]
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class FeedPage:
    items: list[FeedItem]
    next_cursor: str | None


def participant_from(profile: Profile) -> Participant:
    """Ranking features of a complete profile."""
    place = get_vocabulary().places[profile.place or ""]
    weights = None
    if profile.weights:
        w = profile.weights
        weights = (w["subject"], w["motivation"], w["region"], w["availability"])
    return Participant(
        user_id=profile.user_id,
        side=profile.side,
        subjects=tuple(profile.subjects),
        lat=place.lat,
        lon=place.lon,
        region=place.region,
        max_travel_km=float(profile.max_travel_km),
        hours_per_month=float(profile.hours_per_month or 0),
        months=tuple(profile.available_months),
        duration_months=profile.duration_months,
        goals=tuple(profile.goals),
        outcomes=tuple(profile.outcomes),
        match_mode=profile.match_mode,
        weights=weights,
        education=profile.education,
    )


def excluded_ids(session: Session, user_id: int) -> set[int]:
    """Who my feed never shows: swiped, blocked either way, ever matched, at their limit."""
    now = clock.now()
    excluded = {user_id}
    excluded.update(session.scalars(select(Swipe.target_id).where(col(Swipe.swiper_id) == user_id)))
    excluded.update(
        session.scalars(select(Block.blocked_id).where(col(Block.blocker_id) == user_id))
    )
    excluded.update(
        session.scalars(select(Block.blocker_id).where(col(Block.blocked_id) == user_id))
    )
    for teacher_id, professional_id in session.execute(
        select(Match.teacher_id, Match.professional_id).where(involving(user_id))
    ):
        excluded.update((teacher_id, professional_id))
    ongoing: Counter[int] = Counter()
    for teacher_id, professional_id in session.execute(
        select(Match.teacher_id, Match.professional_id).where(ongoing_clause(now))
    ):
        ongoing.update((teacher_id, professional_id))
    limit = get_settings().max_ongoing_matches
    excluded.update(uid for uid, count in ongoing.items() if count >= limit)
    return excluded


def _candidates(session: Session, side: str) -> list[Participant]:
    rows = session.scalars(
        select(Profile).where(
            col(Profile.side) == side, col(Profile.complete), col(Profile.discoverable)
        )
    )
    return [participant_from(p) for p in rows]


def build_feed(*, session: Session, user: User, limit: int, cursor: str | None) -> FeedPage:
    """Rank the other side's discoverable profiles for me and return one page."""
    assert user.id is not None
    me = session.get(Profile, user.id)
    if me is None or not me.complete:
        raise Conflict(PROFILE_INCOMPLETE)
    after = _parse_cursor(cursor)
    other_side = "professional" if user.side == "teacher" else "teacher"
    excluded = excluded_ids(session, user.id)
    candidates = [p for p in _candidates(session, other_side) if p.user_id not in excluded]
    if not candidates:
        return FeedPage(items=[], next_cursor=None)
    viewer = participant_from(me)
    pool = build_pool(candidates)
    scores = score_pool(build_pool([viewer]), pool)
    within = scores.distance_km <= viewer.max_travel_km
    order = [int(i) for i in rank(scores, pool.ids) if within[i]]
    rounded = np.round(scores.score, SCORE_DECIMALS)
    if after is not None:
        after_score, after_id = after
        order = [
            i
            for i in order
            if (rounded[i] < after_score) or (rounded[i] == after_score and pool.ids[i] > after_id)
        ]
    page, more = order[:limit], len(order) > limit
    by_id = {p.user_id: p for p in candidates}
    items = [
        FeedItem(
            user_id=int(pool.ids[i]),
            score=float(rounded[i]),
            breakdown=explain.breakdown_dict(scores.breakdown[i]),
            reasons=explain.reasons(viewer, by_id[int(pool.ids[i])], scores, i),
        )
        for i in page
    ]
    next_cursor = encode_cursor([items[-1].score, items[-1].user_id]) if more and items else None
    return FeedPage(items=items, next_cursor=next_cursor)


def _parse_cursor(cursor: str | None) -> tuple[float, int] | None:
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    if (
        len(position) != 2
        or not isinstance(position[0], int | float)
        or not isinstance(position[1], int)
    ):
        raise Invalid("The cursor is not valid.", loc=["query", "cursor"])
    return float(position[0]), int(position[1])
