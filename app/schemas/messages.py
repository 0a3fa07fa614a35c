"""Conversation models: messages, read receipts, unread counts."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.pagination import MAX_ID

MAX_BODY_CHARS = 2000


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class MessageIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "body": "Zullen we donderdag na het vierde uur bellen?",
                "client_id": "3f1c2a9e-5b7d-4e8a-9c0f-1d2e3f4a5b6c",
            }
        },
    )

    body: Annotated[
        str, Field(min_length=1, max_length=MAX_BODY_CHARS), AfterValidator(_not_blank)
    ] = Field(description="The text, 1–2000 characters, not only white space, no NUL.")
    client_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The app's idempotency key for this message (e.g. a UUID): a retry with "
        "the same client_id stores nothing new and answers 200 with the stored message; the "
        "same client_id with a different body is 409.",
    )


class MessageOut(BaseModel):
    id: int
    match_id: int
    sender_id: int
    mine: bool = Field(description="I sent it.")
    body: str | None = Field(
        description="null once removed: its sender erased their account, or the retention "
        "period passed."
    )
    removed: bool
    client_id: str | None = Field(description="My own messages' client_id; null for the partner's.")
    created_at: datetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None = Field(
        description="Continue in the same direction: pass it as `before` (the default, newest "
        "first, goes back in time) or as `after` (catching up, oldest first). null at the end."
    )
    latest_cursor: str | None = Field(
        description="Pass as `after` later to fetch only what is newer than what you have now "
        "(the newest message seen so far; null for an empty conversation)."
    )
    can_write: bool = Field(description="The match is ongoing and no block stands.")
    partner_read_up_to: int | None = Field(
        description="The partner has read every message up to this id (read receipts); null "
        "when they have read nothing or can no longer be seen (after a block, an erasure)."
    )


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"up_to_id": 42}})

    up_to_id: int = Field(
        strict=True, ge=1, le=MAX_ID, description="Every message up to this id is read."
    )


class ReadOut(BaseModel):
    match_id: int
    last_read_id: int = Field(description="My read watermark now (never moves back).")
    unread: int = Field(description="Unread messages from the partner in this conversation.")


class UnreadMatch(BaseModel):
    match_id: int
    unread: int
    last_message_id: int


class UnreadOut(BaseModel):
    messages: int = Field(description="Unread messages over all my conversations.")
    notifications: int = Field(description="Unread notifications.")
    matches: list[UnreadMatch] = Field(description="Conversations with unread messages.")
