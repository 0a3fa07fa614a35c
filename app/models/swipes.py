"""Swipes (like/pass, one per direction of a pair), the likes made per day, and blocks."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.models._types import check_in, created_at_field, enum_field


class Decision(StrEnum):
    like = "like"
    pass_ = "pass"


def _user_fk(*, primary_key: bool = False, index: bool = False) -> Column[int]:
    return Column(
        Integer,
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
        index=index,
    )


class Swipe(SQLModel, table=True):
    __tablename__ = "swipes"
    __table_args__ = (
        UniqueConstraint("swiper_id", "target_id", name="uq_swipes_pair"),
        CheckConstraint(check_in("decision", Decision), name="ck_swipes_decision"),
        CheckConstraint("swiper_id <> target_id", name="ck_swipes_not_self"),
    )

    id: int | None = Field(default=None, primary_key=True)
    swiper_id: int = Field(sa_column=_user_fk())
    target_id: int = Field(sa_column=_user_fk(index=True))
    decision: Decision = enum_field(Decision, 8)
    created_at: datetime = created_at_field()


class Block(SQLModel, table=True):
    __tablename__ = "blocks"
    __table_args__ = (CheckConstraint("blocker_id <> blocked_id", name="ck_blocks_not_self"),)

    blocker_id: int = Field(sa_column=_user_fk(primary_key=True))
    blocked_id: int = Field(sa_column=_user_fk(primary_key=True, index=True))
    created_at: datetime = created_at_field()


class DailyLikes(SQLModel, table=True):
    """The likes a participant made on one UTC day, undone ones included (LIKES_PER_DAY).

    Counted by the database, in the statement that inserts the like, whichever path inserts
    it: the trigger `swipes_count_likes` (migration 0007) adds one per like inserted into
    `swipes`. Undo deletes the swipe, never the count, so like-and-undo cannot get around the
    limit. Erasure deletes a user's counts; `jobtinder purge` those of past days.
    """

    __tablename__ = "daily_likes"

    user_id: int = Field(sa_column=_user_fk(primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    likes: int = Field(sa_column=Column(Integer, nullable=False))
