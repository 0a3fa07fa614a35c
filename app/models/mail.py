"""Mail: the outbox (written in the caller's transaction, delivered by a worker) and the
per-type mail choices of a user."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer
from sqlmodel import Column, Field, SQLModel

from app.models._types import check_in, created_at_field, enum_field, json_field, utc_column


class MailStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    merged = "merged"
    skipped = "skipped"


class OutboxMail(SQLModel, table=True):
    """One mail to send. `pending` → claimed (`sending`) → `sent` | `failed` | `skipped`;
    a notification mail folded into another one's digest is `merged` (`merged_into`)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint(check_in("status", MailStatus), name="ck_mail_outbox_status"),
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        Index("ix_mail_outbox_user_kind", "user_id", "kind", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    )
    to_address: str = Field(max_length=254)
    template: str = Field(max_length=60)
    language: str = Field(max_length=2)
    context: dict[str, Any] = json_field(dict)
    essential: bool = Field(sa_column=Column(Boolean, nullable=False))
    kind: str | None = Field(default=None, max_length=40)
    message_id: str = Field(max_length=250, unique=True)
    status: MailStatus = enum_field(MailStatus, 10, default=MailStatus.pending)
    attempts: int = Field(default=0)  # every try (the backoff grows with it)
    rejections: int = Field(default=0)  # tries the server refused (MAIL_MAX_ATTEMPTS: failed)
    next_attempt_at: datetime = utc_column(nullable=False)
    claimed_until: datetime | None = utc_column()
    sent_at: datetime | None = utc_column()
    last_error: str | None = Field(default=None, max_length=500)
    merged_into: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("mail_outbox.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    # The SHA-256 of the one-click unsubscribe token sent in this mail (non-essential only);
    # the token itself exists only in the mail.
    unsubscribe_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    unsubscribed_at: datetime | None = utc_column()


class MailDigestSlot(SQLModel, table=True):
    """At most one notification mail per person per type per (UTC) day: the primary key is
    the guarantee, whichever worker claims the slot first sends that day's digest."""

    __tablename__ = "mail_digest_slots"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    kind: str = Field(primary_key=True, max_length=40)
    day: str = Field(primary_key=True, max_length=10)  # YYYY-MM-DD (UTC)
    mail_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mail_outbox.id", ondelete="CASCADE"), nullable=False)
    )


class NotificationSetting(SQLModel, table=True):
    """A user's explicit mail choice for one notification type (absent: the default)."""

    __tablename__ = "notification_settings"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    type: str = Field(primary_key=True, max_length=40)
    mail: bool = Field(sa_column=Column(Boolean, nullable=False))
