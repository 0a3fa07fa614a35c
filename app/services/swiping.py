"""Swipes (like/pass), undo, and blocks — the hot path of the app.

Concurrency: a swipe locks both users' rows (FOR NO KEY UPDATE; on SQLite the request already
holds the write lock) before it looks for the reverse like, so two people liking each other at the
same instant on different processes serialise: the second sees the first's like and creates
the match. The unique constraints on swipes and on the pair's match are the backstop.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

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
    AppError,
    Conflict,
    Invalid,
    NotFound,
    TooManyRequests,
    Unauthorized,
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
from app.services import messages, swipe_batches

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


@dataclass(frozen=True, slots=True)
class _Swipe:
    """A swipe request with what its rules decide on (read after both users are locked)."""

    user_id: int
    target_id: int
    decision: str
    now: datetime
    me: _Party | None
    target: _Party | None
    state: _PairState


# What the general path answers when a rule does not hold: raises, or stores and decides more.
Answer = Callable[[Session, _Swipe], SwipeOutcome]


@dataclass(frozen=True, slots=True)
class SwipeRule:
    """One condition of a plain swipe: one that is stored as a 201 with nothing else to decide.

    The rules exist twice, here and in the database function `plain_swipe`
    (app/services/sql/plain_swipe.sql, each condition marked `-- rule: <name>`), and
    tests/test_plain_swipe.py holds a case for every rule: a rule added to one path only
    fails a test.
    """

    name: str
    holds: Callable[[_Swipe], bool]
    otherwise: Answer


def _refuse(error: Callable[[], AppError]) -> Answer:
    def answer(_session: Session, _swipe: _Swipe) -> SwipeOutcome:
        raise error()

    return answer


def _caller_may_swipe(s: _Swipe) -> bool:
    me = s.me
    return (
        me is not None
        and me.deleted_at is None
        and me.role == Role.participant
        and me.email_verified_at is not None
    )


def _refuse_caller(_session: Session, s: _Swipe) -> SwipeOutcome:
    me = s.me
    check_participant(
        role=me.role if me else None,
        deleted_at=me.deleted_at if me else None,
        email_verified_at=me.email_verified_at if me else None,
    )
    raise AssertionError("check_participant refuses whom _caller_may_swipe refuses")


def _target_is_participant(s: _Swipe) -> bool:
    target = s.target
    return target is not None and target.deleted_at is None and target.role == Role.participant


def _target(s: _Swipe) -> _Party:
    assert s.target is not None  # the rules before this one saw it
    return s.target


def _other_side(s: _Swipe) -> bool:
    return s.me is not None and _target(s).side != s.me.side


def _not_self() -> AppError:
    return Invalid("You cannot swipe yourself.", loc=["body", "target_id"])


def _same_side() -> AppError:
    return Invalid("You can only swipe participants of the other side.", loc=["body", "target_id"])


def _retry(session: Session, s: _Swipe) -> SwipeOutcome:
    return _repeat(session, s.state, s.decision)


def _over_daily_likes(_session: Session, s: _Swipe) -> SwipeOutcome:
    day_start = s.now.replace(hour=0, minute=0, second=0, microsecond=0)
    seconds = int((day_start + timedelta(days=1) - s.now).total_seconds()) + 1
    raise TooManyRequests(seconds, DAILY_LIKE_LIMIT)


def _store_and_match(session: Session, s: _Swipe) -> SwipeOutcome:
    return _store(session, s, may_match=True)


# In the order the general path checks them (which decides the answer when several fail).
SWIPE_RULES: tuple[SwipeRule, ...] = (
    # A participant who may take part in matching (401 erased or gone, 403 staff/unverified).
    SwipeRule("caller_may_swipe", _caller_may_swipe, _refuse_caller),
    # No earlier swipe on the target: else a retry (200) or a conflicting decision (409).
    SwipeRule("not_a_retry", lambda s: s.state.mine is None, _retry),
    SwipeRule(
        "caller_complete",
        lambda s: bool(s.me and s.me.complete),
        _refuse(lambda: Conflict(PROFILE_INCOMPLETE)),
    ),
    SwipeRule("not_self", lambda s: s.target_id != s.user_id, _refuse(_not_self)),
    SwipeRule("target_participant", _target_is_participant, _refuse(NotFound)),
    SwipeRule("other_side", _other_side, _refuse(_same_side)),
    SwipeRule("target_complete", lambda s: bool(_target(s).complete), _refuse(NotFound)),
    SwipeRule("target_discoverable", lambda s: bool(_target(s).discoverable), _refuse(NotFound)),
    # Unverified participants take no part in matching yet.
    SwipeRule(
        "target_verified", lambda s: _target(s).email_verified_at is not None, _refuse(NotFound)
    ),
    SwipeRule("not_blocked", lambda s: not _target(s).blocked, _refuse(NotFound)),
    # At most LIKES_PER_DAY likes made per UTC day, undone ones included (`DailyLikes`).
    SwipeRule(
        "within_daily_likes",
        lambda s: s.decision != "like" or s.state.likes_today < get_settings().likes_per_day,
        _over_daily_likes,
    ),
    # A like on someone who liked me may start a match: more to decide than "allowed".
    SwipeRule(
        "no_like_from_target",
        lambda s: s.decision != "like" or s.state.theirs != "like",
        _store_and_match,
    ),
)


def swipe(*, session: Session, user_id: int, target_id: int, decision: str) -> SwipeOutcome:
    """Record a like or pass; a like on someone who liked me starts a match (if both have room).

    Four round trips on PostgreSQL for a new swipe: lock both users; read both users, their
    profiles, any block between them and the pair's state (one statement, so one snapshot,
    taken after the locks); insert; commit. Who may swipe (401/403) is decided here on the
    caller's row as read under the lock, by the first of `SWIPE_RULES`.
    """
    now = clock.now()
    parties, state = _lock_and_read(session, user_id, target_id, now)
    if state is None:  # neither user exists: the caller is gone
        raise Unauthorized()
    request = _Swipe(
        user_id, target_id, decision, now, parties.get(user_id), parties.get(target_id), state
    )
    for rule in SWIPE_RULES:
        if not rule.holds(request):
            return rule.otherwise(session, request)
    return _store(session, request, may_match=False)


def _store(session: Session, s: _Swipe, *, may_match: bool) -> SwipeOutcome:
    """Insert the swipe; `may_match`: the target liked me, so a match starts if both have room
    and the pair was never matched."""
    match = None
    try:
        session.connection().execute(
            _INSERT_SWIPE,
            {"me": s.user_id, "target": s.target_id, "decision": s.decision, "now": s.now},
        )
        if may_match and s.state.match_id is None:
            limit = get_settings().max_ongoing_matches
            if max(s.state.ongoing) < limit:  # otherwise the like stays a like
                match = _create_mutual_match(session, s.user_id, s.target_id)
        session.commit()
    except IntegrityError:  # a unique constraint caught a race the lock did not cover
        session.rollback()
        _, state = _lock_and_read(session, s.user_id, s.target_id, clock.now())
        if state is None or state.mine is None:
            raise
        return _repeat(session, state, s.decision)
    return SwipeOutcome(created=True, match=match)


# --- The common case on PostgreSQL, in one round trip -------------------------------------
#
# Most swipes are a first like or pass on a discoverable participant of the other side that
# does not complete a match. `try_plain_swipe` records exactly those, on the event loop, with
# one call of the database function `plain_swipe` (its current definition:
# app/services/sql/plain_swipe.sql): it locks both users like `swipe` does, then inserts only
# when every one of `SWIPE_RULES` holds. Anything else —
# a retry, a refusal, a like that may start a match, SQLite — writes nothing there and is
# left to `swipe`, which stays the one place that decides what such a request answers.


async def try_plain_swipe(
    pool: "AsyncConnectionPool[AsyncConnection]", *, user_id: int, target_id: int, decision: str
) -> bool:
    """Record a swipe that needs no decision beyond "allowed": True if it was stored.

    False means nothing was written and `swipe` must handle the request: a retry, anything
    `swipe` refuses, a like that may start a match — or a connection problem (the general path
    then answers 503 if the database really is gone). A unique violation (a race the locks
    should make impossible) also falls through: `swipe` answers it as a retry. The swipes that
    arrive together in this process are stored together (`swipe_batches`: one statement and one
    commit for all of them).
    """
    return await swipe_batches.batcher(pool).submit(
        swipe_batches.PlainSwipe(user_id, target_id, decision)
    )


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
        assert match.id is not None
        messages.withdraw_replay(session, match_id=match.id, user_id=blocked_id)
    session.commit()
    return True


def unblock(*, session: Session, user: User, blocked_id: int) -> None:
    result = session.execute(
        delete(Block).where(col(Block.blocker_id) == user.id, col(Block.blocked_id) == blocked_id)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound()
    session.commit()
