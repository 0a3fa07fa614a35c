"""Safety reports (meldingen van ongewenst gedrag): a participant reports another one, perhaps
about one message; the reported person's regional coordinator handles it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer
from sqlmodel import Column, Field, SQLModel

from app.models._types import check_in, created_at_field, enum_field, utc_column


class ReportStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class Report(SQLModel, table=True):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(check_in("status", ReportStatus), name="ck_reports_status"),
        CheckConstraint("reporter_id <> reported_id", name="ck_reports_not_self"),
        Index("ix_reports_region_status", "region", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reporter_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    reported_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    match_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("matches.id", ondelete="SET NULL"), nullable=True),
    )
    message_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("messages.id", ondelete="SET NULL"), nullable=True),
    )
    # The reported person's region when the report was made: whose coordinator handles it,
    # also after that person moves or erases their account.
    region: str | None = Field(default=None, max_length=40)
    reason: str = Field(max_length=40)
    note: str | None = Field(default=None, max_length=2000)  # the reporter's words
    status: ReportStatus = enum_field(ReportStatus, 16, default=ReportStatus.open)
    created_at: datetime = created_at_field()
    resolved_at: datetime | None = utc_column()
    resolved_by_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    resolution_note: str | None = Field(default=None, max_length=2000)
