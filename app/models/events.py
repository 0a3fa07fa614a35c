"""Live events (the stream's stored source of truth), stream tickets and presence; Web Push
subscriptions and the push outbox."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer
from sqlmodel import Column, Field, SQLModel

from app.models._types import check_in, created_at_field, enum_field, json_field, utc_column


class Event(SQLModel, table=True):
    """One event for one recipient. `seq` counts per recipient (1, 2, 3, ...) in commit order
    (see app/services/events.py); it is the stream's event id and its `Last-Event-ID`."""

    __tablename__ = "events"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    type: str = Field(max_length=40)
    data: dict[str, Any] = json_field(dict)
    created_at: datetime = created_at_field()


class EventSequence(SQLModel, table=True):
    """The last `seq` given to a recipient. Taking the next one locks this row until commit,
    so a recipient's events commit in the order of their numbers."""

    __tablename__ = "event_sequences"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class StreamTicket(SQLModel, table=True):
    """A short-lived, single-use credential for `GET /events?ticket=` (EventSource cannot send
    an Authorization header). Only its SHA-256 is stored."""

    __tablename__ = "stream_tickets"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    expires_at: datetime = utc_column(nullable=False)
    used_at: datetime | None = utc_column()


class StreamPresence(SQLModel, table=True):
    """This user has an open stream on API process `node` until `expires_at` (renewed while
    it stays open): decides whether a message also needs a push."""

    __tablename__ = "stream_presence"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    node: str = Field(primary_key=True, max_length=40)
    expires_at: datetime = utc_column(nullable=False)


class PushSubscription(SQLModel, table=True):
    """A browser's PushSubscription (Web Push, RFC 8030/8291/8292)."""

    __tablename__ = "push_subscriptions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    endpoint: str = Field(max_length=2048, unique=True)
    p256dh: str = Field(max_length=128)
    auth: str = Field(max_length=64)
    created_at: datetime = created_at_field()


class PushStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class OutboxPush(SQLModel, table=True):
    """One push to one subscription; delivered by the same claim/retry machinery as mail
    (app/services/claiming.py). A subscription the push service calls gone (404/410) is
    deleted, and with it its queued pushes."""

    __tablename__ = "push_outbox"
    __table_args__ = (
        CheckConstraint(check_in("status", PushStatus), name="ck_push_outbox_status"),
        Index("ix_push_outbox_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    subscription_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("push_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    kind: str = Field(max_length=40)
    payload: dict[str, Any] = json_field(dict)
    status: PushStatus = enum_field(PushStatus, 10, default=PushStatus.pending)
    attempts: int = Field(default=0)
    rejections: int = Field(default=0)
    next_attempt_at: datetime = utc_column(nullable=False)
    claimed_until: datetime | None = utc_column()
    sent_at: datetime | None = utc_column()
    last_error: str | None = Field(default=None, max_length=500)
