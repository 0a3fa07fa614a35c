"""The conversation of a match (berichten): messages between the two partners, and how far
each partner has read."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from app.models._types import created_at_field


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        # The app's idempotency key: a retried send (from any process) stores one message.
        UniqueConstraint("match_id", "sender_id", "client_id", name="uq_messages_client_id"),
        Index("ix_messages_match", "match_id", "id"),  # a conversation's pages and unread counts
    )

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("matches.id", ondelete="CASCADE"), nullable=False)
    )
    # An erased account's row stays (as "former participant"), so the sender stays known.
    sender_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    client_id: str = Field(max_length=64)
    # NULL once removed: the sender erased their account, or the retention period passed.
    body: str | None = Field(default=None, max_length=2000)
    created_at: datetime = created_at_field()


class MatchRead(SQLModel, table=True):
    """A partner's read watermark in a conversation: every message up to this id is read."""

    __tablename__ = "match_reads"

    match_id: int = Field(
        sa_column=Column(Integer, ForeignKey("matches.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    last_read_id: int = Field(sa_column=Column(Integer, nullable=False))
