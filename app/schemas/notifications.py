"""Notification models."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    id: int
    type: str
    created_at: datetime
    read: bool
    data: dict[str, Any]


MailType = Literal[
    "match_created", "coordinator_match", "trial_ending", "behind_schedule", "match_ended"
]
LanguageLiteral = Literal["nl", "en"]


class NotificationSettingsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "language": "nl",
                "mail": {
                    "match_created": True,
                    "coordinator_match": True,
                    "trial_ending": True,
                    "behind_schedule": False,
                    "match_ended": True,
                },
                "in_app": {"match_created": True, "partner_confirmed": True},
            }
        }
    )

    language: LanguageLiteral = Field(
        description="The language of my mails: nl (default) or en. Stored on the account."
    )
    mail: dict[str, bool] = Field(
        description="Per notification type: also by mail (at most one mail per type per day; "
        "several due at once arrive as one digest)."
    )
    in_app: dict[str, bool] = Field(description="In-app notifications: always on.")


class NotificationSettingsIn(BaseModel):
    """What to change; fields and types left out keep their current value."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"language": "en", "mail": {"behind_schedule": False}}},
    )

    language: LanguageLiteral | None = None
    mail: dict[MailType, bool] | None = None
