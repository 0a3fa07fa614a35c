"""Lists an app needs about the caller: my swipes (with whether each can be undone) and my
blocks. Keyset-paginated, newest first; one row more than asked tells if a page follows."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, tuple_
from sqlmodel import Session, col

from app.models import Block, Match, Swipe, User


@dataclass(frozen=True, slots=True)
class SwipeRow:
    swipe: Swipe
    undoable: bool  # DELETE /swipes/{target_id} would succeed: no match came from it


def my_swipes(
    *, session: Session, user_id: int, decision: str | None, after_id: int | None, limit: int
) -> list[SwipeRow]:
    query = select(Swipe).where(col(Swipe.swiper_id) == user_id)
    if decision is not None:
        query = query.where(col(Swipe.decision) == decision)
    if after_id is not None:
        query = query.where(col(Swipe.id) < after_id)
    swipes = list(session.scalars(query.order_by(col(Swipe.id).desc()).limit(limit + 1)))
    liked = [s.target_id for s in swipes if s.decision == "like"]
    matched: set[int] = set()
    if liked:
        pairs = session.execute(
            select(col(Match.teacher_id), col(Match.professional_id)).where(
                or_(
                    and_(col(Match.teacher_id) == user_id, col(Match.professional_id).in_(liked)),
                    and_(col(Match.professional_id) == user_id, col(Match.teacher_id).in_(liked)),
                )
            )
        )
        matched = {teacher if teacher != user_id else pro for teacher, pro in pairs}
    return [
        SwipeRow(s, undoable=not (s.decision == "like" and s.target_id in matched)) for s in swipes
    ]


def my_blocks(
    *, session: Session, user_id: int, after: tuple[datetime, int] | None, limit: int
) -> list[tuple[Block, str]]:
    """My blocks with the blocked person's name, newest first (keyset: created_at, id)."""
    query = (
        select(Block, col(User.name))
        .join(User, col(User.id) == col(Block.blocked_id))
        .where(col(Block.blocker_id) == user_id)
    )
    if after is not None:
        query = query.where(tuple_(col(Block.created_at), col(Block.blocked_id)) < after)
    query = query.order_by(col(Block.created_at).desc(), col(Block.blocked_id).desc())
    return [(block, name) for block, name in session.execute(query.limit(limit + 1))]
