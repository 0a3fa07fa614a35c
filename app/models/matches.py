"""A match (twin, koppel): one teacher and one professional, at most once per pair."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.models._types import check_in, created_at_field, enum_field, utc_column


class MatchStatus(StrEnum):
    trial = "trial"
    active = "active"
    completed = "completed"
    ended = "ended"


class MatchOrigin(StrEnum):
    mutual_like = "mutual_like"
    coordinator = "coordinator"


ONGOING = (MatchStatus.trial.value, MatchStatus.active.value)


class Match(SQLModel, table=True):
    __tablename__ = "matches"
    __table_args__ = (
        # One match per pair, ever: an exited pair is never matched again. A pair is always one
        # teacher and one professional, so this is the unordered pair.
        UniqueConstraint("teacher_id", "professional_id", name="uq_matches_pair"),
        CheckConstraint(check_in("status", MatchStatus), name="ck_matches_status"),
        CheckConstraint(check_in("origin", MatchOrigin), name="ck_matches_origin"),
        CheckConstraint("duration_months BETWEEN 3 AND 6", name="ck_matches_duration"),
        Index("ix_matches_professional", "professional_id", "status"),
        Index("ix_matches_teacher_status", "teacher_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    professional_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    # The partners' regions when the match began: the coordinators who follow this pair, even
    # after a partner moves or erases their account.
    teacher_region: str | None = Field(default=None, max_length=40, index=True)
    professional_region: str | None = Field(default=None, max_length=40, index=True)
    status: MatchStatus = enum_field(MatchStatus, 16, default=MatchStatus.trial)
    origin: MatchOrigin = enum_field(MatchOrigin, 16)
    created_by_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = created_at_field()
    trial_ends_at: datetime = utc_column(nullable=False)
    duration_months: int = 3
    ends_at: datetime = utc_column(nullable=False)
    teacher_confirmed_at: datetime | None = utc_column()
    professional_confirmed_at: datetime | None = utc_column()
    activated_at: datetime | None = utc_column()
    completed_at: datetime | None = utc_column()
    ended_at: datetime | None = utc_column()
    ended_by_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    exit_reason: str | None = Field(default=None, max_length=40)
    exit_note: str | None = Field(default=None, max_length=2000)

    def partner_of(self, user_id: int) -> int:
        return self.professional_id if user_id == self.teacher_id else self.teacher_id

    def involves(self, user_id: int) -> bool:
        return user_id in (self.teacher_id, self.professional_id)
