"""Swipes (like/pass), undo, and blocks — the hot path of the app.

Concurrency: a like locks both users' rows (`lock_users`; on SQLite the request already holds
the write lock) before it looks for the reverse like, so two people liking each other at the
same instant on different processes serialise: the second sees the first's like and creates
the match. The unique constraints on swipes and on the pair's match are the backstop.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.db import lock_users
from app.errors import (
    PROFILE_INCOMPLETE,
    SWIPE_CONFLICT,
    SWIPE_HAS_MATCH,
    Conflict,
    Invalid,
    NotFound,
)
from app.models import Block, Match, MatchOrigin, MatchStatus, Profile, Role, Swipe, User
from app.ratelimit import TooManyRequests
from app.services import matches as match_service


@dataclass(frozen=True, slots=True)
class SwipeOutcome:
    swipe: Swipe
    created: bool
    match: Match | None


def blocked_between(session: Session, a: int, b: int) -> bool:
    either = or_(
        and_(col(Block.blocker_id) == a, col(Block.blocked_id) == b),
        and_(col(Block.blocker_id) == b, col(Block.blocked_id) == a),
    )
    return bool(session.scalar(select(exists().where(either))))


def _swipeable_target(session: Session, user: User, target_id: int) -> User:
    assert user.id is not None
    if target_id == user.id:
        raise Invalid("You cannot swipe yourself.", loc=["body", "target_id"])
    target = session.get(User, target_id)
    if target is None or target.is_deleted or target.role != Role.participant:
        raise NotFound()
    if target.side == user.side:
        raise Invalid(
            "You can only swipe participants of the other side.", loc=["body", "target_id"]
        )
    profile = session.get(Profile, target_id)
    if profile is None or not profile.complete or not profile.discoverable:
        raise NotFound()
    if blocked_between(session, user.id, target_id):
        raise NotFound()
    return target


def _require_complete_profile(session: Session, user: User) -> None:
    profile = session.get(Profile, user.id)
    if profile is None or not profile.complete:
        raise Conflict(PROFILE_INCOMPLETE)


def swipe(*, session: Session, user: User, target_id: int, decision: str) -> SwipeOutcome:
    """Record a like or pass; a like on someone who liked me starts a match (if both have room)."""
    assert user.id is not None
    existing = _find_swipe(session, user.id, target_id)
    if existing is not None:  # a retry: answer it without taking any lock
        return _repeat(session, existing, decision)
    _require_complete_profile(session, user)
    target = _swipeable_target(session, user, target_id)
    lock_users(session, [user.id, target_id])
    existing = _find_swipe(session, user.id, target_id)
    if existing is not None:  # a concurrent retry got here first
        return _repeat(session, existing, decision)

    if decision == "like":
        _check_daily_likes(session, user.id)
    record = Swipe(swiper_id=user.id, target_id=target_id, decision=decision)
    session.add(record)
    match = None
    if decision == "like" and _likes(session, target_id, user.id):
        match = _match_if_room(session, user, target)
    try:
        session.commit()
    except IntegrityError:  # the unique constraint caught a race the lock did not cover
        session.rollback()
        existing = _find_swipe(session, user.id, target_id)
        if existing is None:
            raise
        return _repeat(session, existing, decision)
    return SwipeOutcome(swipe=record, created=True, match=match)


def _check_daily_likes(session: Session, user_id: int) -> None:
    """At most LIKES_PER_DAY likes per UTC day (counted under the user's lock)."""
    now = clock.now()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    likes_today = session.scalar(
        select(func.count())
        .select_from(Swipe)
        .where(
            col(Swipe.swiper_id) == user_id,
            col(Swipe.decision) == "like",
            col(Swipe.created_at) >= day_start,
        )
    )
    if int(likes_today or 0) >= get_settings().likes_per_day:
        seconds = int((day_start + timedelta(days=1) - now).total_seconds()) + 1
        raise TooManyRequests(seconds)


def _match_if_room(session: Session, user: User, target: User) -> Match | None:
    assert user.id is not None and target.id is not None
    if match_service.match_between(session, user.id, target.id) is not None:
        return None
    if match_service.at_limit(session, [user.id, target.id], clock.now()):
        return None  # the like stays a like
    teacher, professional = match_service.sides(user, target)
    return match_service.create_match(
        session=session, teacher=teacher, professional=professional, origin=MatchOrigin.mutual_like
    )


def _find_swipe(session: Session, swiper_id: int, target_id: int) -> Swipe | None:
    return session.scalar(
        select(Swipe).where(col(Swipe.swiper_id) == swiper_id, col(Swipe.target_id) == target_id)
    )


def _likes(session: Session, swiper_id: int, target_id: int) -> bool:
    found = _find_swipe(session, swiper_id, target_id)
    return found is not None and found.decision == "like"


def _repeat(session: Session, existing: Swipe, decision: str) -> SwipeOutcome:
    if existing.decision != decision:
        raise Conflict(SWIPE_CONFLICT)
    match = None
    if existing.decision == "like":
        match = match_service.match_between(session, existing.swiper_id, existing.target_id)
    return SwipeOutcome(swipe=existing, created=False, match=match)


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

    Returns False when the block already existed (nothing changed).
    """
    assert user.id is not None
    if blocked_id == user.id:
        raise Invalid("You cannot block yourself.", loc=["body", "user_id"])
    other = session.get(User, blocked_id)
    if other is None or other.is_deleted or other.role != Role.participant:
        raise NotFound()
    lock_users(session, [user.id, blocked_id])
    if session.get(Block, (user.id, blocked_id)) is not None:
        return False
    session.add(Block(blocker_id=user.id, blocked_id=blocked_id))
    match = match_service.match_between(session, user.id, blocked_id)
    if match is not None and match_service.effective_status(match) in (
        MatchStatus.trial,
        MatchStatus.active,
    ):
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
