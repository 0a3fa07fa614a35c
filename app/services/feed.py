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
from app.matching.features import build_pool
from app.matching.scoring import rank_page
from app.models import Block, Match, Profile, Swipe, User
from app.pagination import MAX_ID, decode_cursor, encode_cursor
from app.services.feature_store import participant_from, rankable, store
from app.services.matches import involving, ongoing_clause

SCORE_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class FeedItem:
    user: User
    profile: Profile
    score: float
    breakdown: dict[str, float]
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class FeedPage:
    items: list[FeedItem]
    next_cursor: str | None


def excluded_ids(session: Session, user_id: int) -> set[int]:
    """Who my feed never shows: swiped, blocked either way, ever matched, at their limit."""
    now = clock.now()
    excluded = {user_id}
    excluded.update(
        session.scalars(select(col(Swipe.target_id)).where(col(Swipe.swiper_id) == user_id))
    )
    excluded.update(
        session.scalars(select(col(Block.blocked_id)).where(col(Block.blocker_id) == user_id))
    )
    excluded.update(
        session.scalars(select(col(Block.blocker_id)).where(col(Block.blocked_id) == user_id))
    )
    for teacher_id, professional_id in session.execute(
        select(col(Match.teacher_id), col(Match.professional_id)).where(involving(user_id))
    ):
        excluded.update((teacher_id, professional_id))
    ongoing: Counter[int] = Counter()
    for teacher_id, professional_id in session.execute(
        select(col(Match.teacher_id), col(Match.professional_id)).where(ongoing_clause(now))
    ):
        ongoing.update((teacher_id, professional_id))
    limit = get_settings().max_ongoing_matches
    excluded.update(uid for uid, count in ongoing.items() if count >= limit)
    return excluded


def build_feed(*, session: Session, user: User, limit: int, cursor: str | None) -> FeedPage:
    """Rank the other side's discoverable profiles for me and return one page."""
    assert user.id is not None
    me = session.get(Profile, user.id)
    if me is None or not me.complete or not me.place:
        raise Conflict(PROFILE_INCOMPLETE)  # a paused (not discoverable) profile may browse
    after = _parse_cursor(cursor)
    other_side = "professional" if user.side == "teacher" else "teacher"
    features = store.side(session, other_side)
    if len(features.pool) == 0:
        return FeedPage(items=[], next_cursor=None)
    excluded = np.fromiter(excluded_ids(session, user.id), dtype=np.int64)
    eligible = features.active & ~np.isin(features.pool.ids, excluded)
    viewer = participant_from(me)
    ranked = rank_page(
        build_pool([viewer]),
        features.pool,
        eligible,
        limit=limit,
        after=after,
        decimals=SCORE_DECIMALS,
    )
    # The page is checked against the database: a profile paused or erased a moment ago by
    # another process is left out even if the features have not caught up yet.
    page_ids = [int(features.pool.ids[row]) for row in ranked.rows]
    profiles = {
        p.user_id: p
        for p in session.scalars(select(Profile).where(col(Profile.user_id).in_(page_ids)))
    }
    users = {u.id: u for u in session.scalars(select(User).where(col(User.id).in_(page_ids)))}
    items = []
    for position, user_id in enumerate(page_ids):
        profile, owner = profiles.get(user_id), users.get(user_id)
        if profile is None or owner is None or not rankable(profile) or owner.is_deleted:
            continue
        candidate = participant_from(profile)
        items.append(
            FeedItem(
                user=owner,
                profile=profile,
                score=float(ranked.scores.score[position]),
                breakdown=explain.breakdown_dict(ranked.scores.breakdown[position]),
                reasons=explain.reasons(viewer, candidate, ranked.scores, position),
            )
        )
    next_cursor = (
        encode_cursor([float(ranked.scores.score[-1]), page_ids[-1]])
        if ranked.more and page_ids
        else None
    )
    return FeedPage(items=items, next_cursor=next_cursor)


def _parse_cursor(cursor: str | None) -> tuple[float, int] | None:
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    if (
        len(position) != 2
        or not isinstance(position[0], int | float)
        or isinstance(position[0], bool)
        or not isinstance(position[1], int)
        or not 0 <= position[0] <= 1
        or not 0 < position[1] <= MAX_ID
    ):
        raise Invalid("The cursor is not valid.", loc=["query", "cursor"])
    return float(position[0]), int(position[1])
