"""Swipes (like/pass, one per direction of a pair) and blocks."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.models._types import created_at_field


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
        CheckConstraint("decision IN ('like', 'pass')", name="ck_swipes_decision"),
        CheckConstraint("swiper_id <> target_id", name="ck_swipes_not_self"),
    )

    id: int | None = Field(default=None, primary_key=True)
    swiper_id: int = Field(sa_column=_user_fk())
    target_id: int = Field(sa_column=_user_fk(index=True))
    decision: str = Field(max_length=8)
    created_at: datetime = created_at_field()


class Block(SQLModel, table=True):
    __tablename__ = "blocks"
    __table_args__ = (CheckConstraint("blocker_id <> blocked_id", name="ck_blocks_not_self"),)

    blocker_id: int = Field(sa_column=_user_fk(primary_key=True))
    blocked_id: int = Field(sa_column=_user_fk(primary_key=True, index=True))
    created_at: datetime = created_at_field()
