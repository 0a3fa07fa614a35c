"""In-app notifications."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer
from sqlmodel import Column, Field, SQLModel

from app.models._types import created_at_field, json_field, utc_column


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user", "user_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    type: str = Field(max_length=40)
    created_at: datetime = created_at_field()
    read_at: datetime | None = utc_column()
    data: dict[str, Any] = json_field(dict)
    # Time-based events (trial ending, ...) carry a key so that several processes, or a
    # repeated tick, can never send the same one twice.
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)
