"""The trajectory after the match: the plan (werkafspraken), meetings (ontmoetingen) with their
hours, and the midterm and final evaluations (tussenmeting, nameting)."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.models._types import check_in, created_at_field, enum_field, json_field


class EvaluationKind(StrEnum):
    midterm = "midterm"
    final = "final"


class Plan(SQLModel, table=True):
    """The pair's plan (phase 2); absent until one of them stores it (a default is derived)."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("planned_meetings BETWEEN 1 AND 20", name="ck_plans_meetings"),
        CheckConstraint("hours_target >= 1 AND hours_target <= 200", name="ck_plans_hours"),
        CheckConstraint("planned_end > start_date", name="ck_plans_dates"),
    )

    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("matches.id", ondelete="CASCADE"), primary_key=True)
    )
    teacher_goals: list[str] = json_field()
    professional_goals: list[str] = json_field()
    joint_goals: list[str] = json_field()
    planned_meetings: int = 6
    hours_target: float = 20.0
    planned_activities: list[str] = json_field()
    start_date: date = Field(sa_column=Column(Date, nullable=False))
    planned_end: date = Field(sa_column=Column(Date, nullable=False))
    updated_at: datetime = created_at_field()
    updated_by_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )


class Meeting(SQLModel, table=True):
    """One meeting or activity of the pair, with the hours it took (phase 3)."""

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("hours >= 0.5 AND hours <= 12", name="ck_meetings_hours"),
        Index("ix_meetings_match", "match_id", "held_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("matches.id", ondelete="CASCADE"), nullable=False)
    )
    logged_by_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    # `date` in the API; a field named after its own type confuses pydantic.
    held_on: date = Field(sa_column=Column(Date, nullable=False))
    hours: float
    activity: str = Field(max_length=40)
    note: str | None = Field(default=None, max_length=1000)
    created_at: datetime = created_at_field()


class Evaluation(SQLModel, table=True):
    """A midterm or final evaluation: one per person, match and kind; private to its author."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("match_id", "author_id", "kind", name="uq_evaluations_once"),
        CheckConstraint(check_in("kind", EvaluationKind), name="ck_evaluations_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("matches.id", ondelete="CASCADE"), nullable=False)
    )
    author_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    kind: EvaluationKind = enum_field(EvaluationKind, 16)
    answers: dict[str, Any] = json_field(dict)
    created_at: datetime = created_at_field()
