"""Swipes (like/pass), undo, and blocks — the hot path of the app.

Concurrency: a swipe locks both users' rows (FOR NO KEY UPDATE; on SQLite the request already
holds the write lock) before it looks for the reverse like, so two people liking each other at the
same instant on different processes serialise: the second sees the first's like and creates
the match. The unique constraints on swipes and on the pair's match are the backstop.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import (
    Date,
    DateTime,
    Exists,
    Integer,
    ScalarSelect,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.db import lock_users
from app.errors import (
    DAILY_LIKE_LIMIT,
    PROFILE_INCOMPLETE,
    SWIPE_CONFLICT,
    SWIPE_HAS_MATCH,
    Conflict,
    Invalid,
    NotFound,
    TooManyRequests,
)
from app.models import (
    Block,
    DailyLikes,
    Match,
    MatchOrigin,
    Profile,
    Role,
    Swipe,
    User,
)
from app.security import check_participant
from app.services import matches as match_service

log = logging.getLogger("jobtinder")


@dataclass(frozen=True, slots=True)
class SwipeOutcome:
    created: bool
    match: Match | None


def blocked_between(session: Session, a: int, b: int) -> bool:
    return bool(session.scalar(select(_blocked_either_way(a, b))))


@dataclass(frozen=True, slots=True)
class _Party:
    """One side of a swipe as read after both users are locked."""

    id: int
    role: str
    side: str | None
    deleted_at: datetime | None
    email_verified_at: datetime | None
    complete: bool | None  # None: no profile
    discoverable: bool | None
    blocked: bool  # a block between the two, either way (same on both rows)


@dataclass(frozen=True, slots=True)
class _PairState:
    """What the swipe decides on, read with the parties after the locks are held."""

    mine: str | None  # my earlier decision on the target
    theirs: str | None  # the target's decision on me
    likes_today: int  # likes made today, undone ones included
    match_id: int | None  # the pair's match, ever
    ongoing: tuple[int, int]  # (mine, theirs) ongoing matches


def swipe(*, session: Session, user_id: int, target_id: int, decision: str) -> SwipeOutcome:
    """Record a like or pass; a like on someone who liked me starts a match (if both have room).

    Four round trips on PostgreSQL for a new swipe: lock both users; read both users, their
    profiles, any block between them and the pair's state (one statement, so one snapshot,
    taken after the locks); insert; commit. Who may swipe (401/403) is decided here on the
    caller's row as read under the lock.
    """
    now = clock.now()
    parties, state = _lock_and_read(session, user_id, target_id, now)
    me = parties.get(user_id)
    check_participant(
        role=me.role if me else None,
        deleted_at=me.deleted_at if me else None,
        email_verified_at=me.email_verified_at if me else None,
    )
    assert me is not None and state is not None
    if state.mine is not None:  # a retry (or a concurrent retry that got here first)
        return _repeat(session, state, decision)
    if not me.complete:
        raise Conflict(PROFILE_INCOMPLETE)
    if target_id == user_id:
        raise Invalid("You cannot swipe yourself.", loc=["body", "target_id"])
    target = parties.get(target_id)
    if target is None or target.deleted_at is not None or target.role != Role.participant:
        raise NotFound()
    if target.side == me.side:
        raise Invalid(
            "You can only swipe participants of the other side.", loc=["body", "target_id"]
        )
    if (
        not target.complete
        or not target.discoverable
        or target.blocked
        or target.email_verified_at is None  # unverified: not part of matching yet
    ):
        raise NotFound()
    if decision == "like":
        _check_daily_likes(state.likes_today, now)
    match = None
    try:
        session.connection().execute(
            _INSERT_SWIPE, {"me": user_id, "target": target_id, "decision": decision, "now": now}
        )
        if decision == "like" and state.theirs == "like" and state.match_id is None:
            limit = get_settings().max_ongoing_matches
            if max(state.ongoing) < limit:  # otherwise the like stays a like
                match = _create_mutual_match(session, user_id, target_id)
        session.commit()
    except IntegrityError:  # a unique constraint caught a race the lock did not cover
        session.rollback()
        _, state = _lock_and_read(session, user_id, target_id, clock.now())
        if state is None or state.mine is None:
            raise
        return _repeat(session, state, decision)
    return SwipeOutcome(created=True, match=match)


# --- The common case on PostgreSQL, in one round trip -------------------------------------
#
# Most swipes are a first like or pass on a discoverable participant of the other side that
# does not complete a match. `try_plain_swipe` records exactly those, on the event loop, with
# one call of the database function `plain_swipe` (migrations 0006, 0007, 0009): it locks
# both users like `swipe` does, then inserts only when every rule that `swipe` checks is
# satisfied and the swipe cannot start a match (no like from the target). Anything else —
# a retry, a refusal, a like that may start a match, SQLite — writes nothing there and is
# left to `swipe`, which stays the one place that decides what such a request answers.

_PLAIN_SWIPE = (
    "SELECT plain_swipe(%(me)s::integer, %(target)s::integer, %(decision)s::text, "
    "%(now)s::timestamptz, %(day_start)s::timestamptz, %(likes_per_day)s::integer)"
)


async def try_plain_swipe(
    pool: "AsyncConnectionPool[AsyncConnection]", *, user_id: int, target_id: int, decision: str
) -> bool:
    """Record a swipe that needs no decision beyond "allowed": True if it was stored.

    False means nothing was written and `swipe` must handle the request: a retry, anything
    `swipe` refuses, a like that may start a match — or a connection problem (the general path
    then answers 503 if the database really is gone). A unique violation (a race the locks
    should make impossible) also falls through: `swipe` answers it as a retry.
    """
    now = clock.now()
    params = {
        "me": user_id,
        "target": target_id,
        "decision": decision,
        "now": now,
        "day_start": now.replace(hour=0, minute=0, second=0, microsecond=0),
        "likes_per_day": get_settings().likes_per_day,
    }
    try:
        async with pool.connection() as conn:  # autocommit: the call is its own transaction
            row = await (await conn.execute(_PLAIN_SWIPE, params)).fetchone()
            return bool(row and row[0])
    except psycopg.IntegrityError:
        return False
    except psycopg.OperationalError as exc:  # includes the pool's timeout
        log.warning("swipe fast path unavailable: %s", type(exc).__name__)
        return False


def _blocked_either_way(a: Any, b: Any) -> Exists:
    return exists().where(
        or_(
            and_(col(Block.blocker_id) == a, col(Block.blocked_id) == b),
            and_(col(Block.blocker_id) == b, col(Block.blocked_id) == a),
        )
    )


# The swipe's statements are built once: building a SQLAlchemy expression costs more Python
# time than running it (compiled forms are cached by SQLAlchemy; construction is not).
_ME, _TARGET = bindparam("me", type_=Integer), bindparam("target", type_=Integer)
_NOW = bindparam("now", type_=DateTime(timezone=True))
_DAY = bindparam("day", type_=Date)

# Lock both users in id order (no deadlock between two swipes of the same pair); NO KEY so
# that rows merely referencing them can still be inserted meanwhile. Only the lock: what the
# swipe decides on is read by the next statement, whose snapshot is taken after the lock is
# held (a statement that waited for a row lock returns the locked rows' newest version but
# reads every other table — profiles, blocks — from its own older snapshot).
_LOCK_PARTIES = (
    select(col(User.id))
    .where(or_(col(User.id) == _ME, col(User.id) == _TARGET))
    .order_by(col(User.id))
    .with_for_update(key_share=True)
)


def _decision_of(swiper: Any, target: Any) -> ScalarSelect[str]:
    return (
        select(col(Swipe.decision))
        .where(col(Swipe.swiper_id) == swiper, col(Swipe.target_id) == target)
        .scalar_subquery()
    )


def _ongoing_of(uid: Any) -> ScalarSelect[int]:
    return (
        select(func.count())
        .select_from(Match)
        # The lifecycle's own clause, given a bound parameter where it expects a datetime:
        # it only compares with it.
        .where(match_service.involving(uid), match_service.ongoing_clause(cast(datetime, _NOW)))
        .scalar_subquery()
    )


# Both users (with profile and any block between them) and the pair's state, one row per
# user: the pair's columns are uncorrelated subqueries, the same on both rows.
_STATE = (
    select(
        col(User.id),
        col(User.role),
        col(User.side),
        col(User.deleted_at),
        col(User.email_verified_at),
        col(Profile.complete),
        col(Profile.discoverable),
        _blocked_either_way(_ME, _TARGET).label("blocked"),
        _decision_of(_ME, _TARGET),
        _decision_of(_TARGET, _ME),
        select(col(DailyLikes.likes))
        .where(col(DailyLikes.user_id) == _ME, col(DailyLikes.day) == _DAY)
        .scalar_subquery(),
        select(col(Match.id))
        .where(
            or_(
                and_(col(Match.teacher_id) == _ME, col(Match.professional_id) == _TARGET),
                and_(col(Match.teacher_id) == _TARGET, col(Match.professional_id) == _ME),
            )
        )
        .scalar_subquery(),
        _ongoing_of(_ME),
        _ongoing_of(_TARGET),
    )
    .select_from(User)
    .outerjoin(Profile, col(Profile.user_id) == col(User.id))
    .where(or_(col(User.id) == _ME, col(User.id) == _TARGET))
    .order_by(col(User.id))
)

_INSERT_SWIPE = insert(Swipe).values(
    swiper_id=_ME, target_id=_TARGET, decision=bindparam("decision"), created_at=_NOW
)


def _lock_and_read(
    session: Session, user_id: int, target_id: int, now: datetime
) -> tuple[dict[int, _Party], _PairState | None]:
    """Lock both users (PostgreSQL; on SQLite the write lock is held), then read what the
    swipe decides on. State is None when neither user exists."""
    params = {"me": user_id, "target": target_id, "now": now, "day": now.date()}
    # Core execution on the session's connection: no ORM entities here, so skip the ORM layer.
    connection = session.connection()
    if session.get_bind().dialect.name != "sqlite":
        connection.execute(_LOCK_PARTIES, params).all()
    rows = connection.execute(_STATE, params).all()
    parties = {
        int(row[0] or 0): _Party(
            id=int(row[0] or 0),
            role=row[1],
            side=row[2],
            deleted_at=row[3],
            email_verified_at=row[4],
            complete=row[5],
            discoverable=row[6],
            blocked=bool(row[7]),
        )
        for row in rows
    }
    if not rows:
        return parties, None
    row = rows[0]
    state = _PairState(
        mine=row[8],
        theirs=row[9],
        likes_today=int(row[10] or 0),
        match_id=row[11],
        ongoing=(int(row[12] or 0), int(row[13] or 0)),
    )
    return parties, state


def _check_daily_likes(likes_today: int, now: datetime) -> None:
    """At most LIKES_PER_DAY likes made per UTC day, undone ones included (`DailyLikes`,
    read under the user's lock)."""
    if likes_today >= get_settings().likes_per_day:
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        seconds = int((day_start + timedelta(days=1) - now).total_seconds()) + 1
        raise TooManyRequests(seconds, DAILY_LIKE_LIMIT)


def _create_mutual_match(session: Session, user_id: int, target_id: int) -> Match:
    """The rare branch: load both users as objects for the match and its notifications."""
    user, target = session.get(User, user_id), session.get(User, target_id)
    assert user is not None and target is not None
    teacher, professional = match_service.sides(user, target)
    return match_service.create_match(
        session=session, teacher=teacher, professional=professional, origin=MatchOrigin.mutual_like
    )


def _find_swipe(session: Session, swiper_id: int, target_id: int) -> Swipe | None:
    return session.scalar(
        select(Swipe).where(col(Swipe.swiper_id) == swiper_id, col(Swipe.target_id) == target_id)
    )


def _repeat(session: Session, state: _PairState, decision: str) -> SwipeOutcome:
    if state.mine != decision:
        raise Conflict(SWIPE_CONFLICT)
    match = None
    if decision == "like" and state.match_id is not None:
        match = session.get(Match, state.match_id)
    return SwipeOutcome(created=False, match=match)


def undo_swipe(*, session: Session, user: User, target_id: int) -> None:
    """Take a swipe back, unless a match came from it."""
    assert user.id is not None
    lock_users(session, [user.id, target_id])
    existing = _find_swipe(session, user.id, target_id)
    if existing is None:
        raise NotFound()
    if existing.decision == "like" and match_service.match_between(session, user.id, target_id):
        raise Conflict(SWIPE_HAS_MATCH)
    session.delete(existing)
    session.commit()


def block(*, session: Session, user: User, blocked_id: int) -> bool:
    """Block someone: we never see each other again and an ongoing match between us ends.

    Returns False when the block already existed (nothing changed). Everything it decides on
    is read after both users are locked: the other person (an erasure may have just
    committed), the block, and the match — which it ends only if it is still ongoing, so a
    block right after an exit leaves the exit's record (and notifications) alone.
    """
    assert user.id is not None
    if blocked_id == user.id:
        raise Invalid("You cannot block yourself.", loc=["body", "user_id"])
    lock_users(session, [user.id, blocked_id])
    session.refresh(user)  # an erasure of my account may have committed meanwhile
    check_participant(role=user.role, deleted_at=user.deleted_at, require_verified=False)
    other = session.get(User, blocked_id, populate_existing=True)
    if other is None or other.is_deleted or other.role != Role.participant:
        raise NotFound()
    if session.get(Block, (user.id, blocked_id)) is not None:
        return False
    session.add(Block(blocker_id=user.id, blocked_id=blocked_id))
    match = match_service.match_between(session, user.id, blocked_id)
    if match is not None:
        match_service.end_match(session=session, match=match, by=user, reason="blocked", note=None)
    session.commit()
    return True


def unblock(*, session: Session, user: User, blocked_id: int) -> None:
    result = session.execute(
        delete(Block).where(col(Block.blocker_id) == user.id, col(Block.blocked_id) == blocked_id)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound()
    session.commit()
