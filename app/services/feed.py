"""The swipe deck: who I may see, ranked by the matching service, one page at a time."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import (
    CompoundSelect,
    DateTime,
    Integer,
    ScalarSelect,
    Select,
    bindparam,
    case,
    func,
    select,
    union_all,
)
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.errors import PROFILE_INCOMPLETE, Conflict, Invalid
from app.matching import explain
from app.matching.features import build_pool
from app.matching.scoring import rank_page
from app.models import Block, FeatureVersion, Match, Profile, Swipe, User
from app.pagination import MAX_ID, decode_cursor, encode_cursor
from app.security import check_participant
from app.services.feature_store import FEATURE_COLUMNS, participant_from, rankable, store
from app.services.matches import involving, ongoing_clause

SCORE_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class FeedItem:
    profile: Any  # a row of all profile columns plus the owner's name (see `_PAGE`)
    score: float
    breakdown: dict[str, float]
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class FeedPage:
    items: list[FeedItem]
    next_cursor: str | None


# The feed's statements are built once (building an expression costs more Python time than
# SQLAlchemy's cached compilation of it); three round trips per page in all.
_ME = bindparam("me", type_=Integer)
_NOW = bindparam("now", type_=DateTime(timezone=True))
_LIMIT = bindparam("limit", type_=Integer)
_OTHER_SIDE = case((col(User.side) == "teacher", "professional"), else_="teacher")


def _version_of_other_side(column: Any) -> ScalarSelect[int]:
    return select(column).where(col(FeatureVersion.side) == _OTHER_SIDE).scalar_subquery()


# 1. The caller (deleted? participant?), their ranking features, and the version stamp of
# the side they browse.
_VIEWER = (
    select(
        col(User.role),
        col(User.side).label("user_side"),
        col(User.deleted_at),
        col(Profile.complete),
        _version_of_other_side(col(FeatureVersion.version)).label("version"),
        _version_of_other_side(col(FeatureVersion.deletions)).label("deletions"),
        *(getattr(Profile, name) for name in FEATURE_COLUMNS),
    )
    .select_from(User)
    .outerjoin(Profile, col(Profile.user_id) == col(User.id))
    .where(col(User.id) == _ME)
)


def _at_limit(column: Any) -> Select[Any]:
    return (
        select(column)
        .where(ongoing_clause(cast(datetime, _NOW)))  # only compared with
        .group_by(column)
        .having(func.count() >= _LIMIT)
    )


def _excluded(at_limit_column: Any) -> CompoundSelect[Any]:
    partner = case(
        (col(Match.teacher_id) == _ME, col(Match.professional_id)), else_=col(Match.teacher_id)
    )
    return union_all(
        select(col(Swipe.target_id)).where(col(Swipe.swiper_id) == _ME),
        select(col(Block.blocked_id)).where(col(Block.blocker_id) == _ME),
        select(col(Block.blocker_id)).where(col(Block.blocked_id) == _ME),
        select(partner).where(involving(cast(int, _ME))),
        # Of the side I browse, those at the ongoing-match limit.
        _at_limit(at_limit_column),
    )


# 2. Everyone my feed never shows, in one statement.
_EXCLUDED_FOR = {
    "teacher": _excluded(col(Match.professional_id)),
    "professional": _excluded(col(Match.teacher_id)),
}

# 3. The page's profiles and owners, re-checked against the database. Plain columns, not ORM
# objects: instantiating SQLModel table objects was the largest single cost of a feed page.
_PAGE = (
    select(
        *Profile.__table__.columns,  # type: ignore[attr-defined]
        col(User.name),
        col(User.deleted_at),
    )
    .join(User, col(User.id) == col(Profile.user_id))
    .where(col(Profile.user_id).in_(bindparam("ids", expanding=True)))
)


def excluded_ids(session: Session, user_id: int, side: str) -> set[int]:
    """Who my feed never shows: swiped, blocked either way, ever matched, at their limit."""
    params = {"me": user_id, "now": clock.now(), "limit": get_settings().max_ongoing_matches}
    rows = session.connection().execute(_EXCLUDED_FOR[side], params).scalars()
    excluded = {int(uid) for uid in rows}
    excluded.add(user_id)
    return excluded


def build_feed(*, session: Session, user_id: int, limit: int, cursor: str | None) -> FeedPage:
    """Rank the other side's discoverable profiles for me and return one page.

    The caller's token was only verified; whether they may browse (401/403) is decided here
    on the row the first query reads anyway.
    """
    me = session.connection().execute(_VIEWER, {"me": user_id}).one_or_none()
    check_participant(role=me.role if me else None, deleted_at=me.deleted_at if me else None)
    assert me is not None
    if not me.complete or not me.place:
        raise Conflict(PROFILE_INCOMPLETE)  # a paused (not discoverable) profile may browse
    after = _parse_cursor(cursor)
    other_side = "professional" if me.user_side == "teacher" else "teacher"
    version = (int(me.version or 0), int(me.deletions or 0))
    features = store.side(session, other_side, version=version)
    if len(features.pool) == 0:
        return FeedPage(items=[], next_cursor=None)
    excluded = np.fromiter(excluded_ids(session, user_id, me.user_side), dtype=np.int64)
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
    found = {}
    if page_ids:
        page = session.connection().execute(_PAGE, {"ids": page_ids})
        found = {row.user_id: row for row in page}
    items = []
    for position, candidate_id in enumerate(page_ids):
        profile = found.get(candidate_id)
        if profile is None or not rankable(profile) or profile.deleted_at is not None:
            continue
        candidate = participant_from(profile)
        items.append(
            FeedItem(
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
