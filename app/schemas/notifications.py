"""Notification models: `type` is one of NOTIFICATION_TYPES, and `data` has one shape per type
(a union discriminated by `type`)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from app.schemas.enums import LanguageValue


class MatchRef(BaseModel):
    match_id: int


class PartnerRef(MatchRef):
    partner_id: int
    partner_name: str = Field(description="'former participant' once the partner left.")


class TrialEndingData(MatchRef):
    trial_ends_at: datetime


class BehindScheduleData(MatchRef):
    hours_logged: float
    expected_hours_by_now: float
    hours_target: float
    behind_by_hours: float


class PhotoRemovedData(BaseModel):
    by: Literal["coordinator"] = Field(description="Who removed it.")


class _NotificationBase(BaseModel):
    id: int
    created_at: datetime
    read: bool
    text: str = Field(
        description="One human sentence: in the user's stored language, else the request's "
        "Accept-Language (Dutch by default)."
    )


class MatchCreatedNotification(_NotificationBase):
    """A mutual like started a match in its trial period."""

    type: Literal["match_created"]
    data: PartnerRef


class CoordinatorMatchNotification(_NotificationBase):
    """A coordinator paired me with someone (a blind match)."""

    type: Literal["coordinator_match"]
    data: PartnerRef


class PartnerConfirmedNotification(_NotificationBase):
    """My partner wants to continue after the trial."""

    type: Literal["partner_confirmed"]
    data: MatchRef


class MatchActiveNotification(_NotificationBase):
    """Both confirmed: the match is active."""

    type: Literal["match_active"]
    data: MatchRef


class MatchEndedNotification(_NotificationBase):
    """The match ended (neutral: never the reason)."""

    type: Literal["match_ended"]
    data: MatchRef


class TrialEndingNotification(_NotificationBase):
    """The trial ends in a few days and we have not both confirmed."""

    type: Literal["trial_ending"]
    data: TrialEndingData


class BehindScheduleNotification(_NotificationBase):
    """The logged hours lag the plan's pace (at most once a week)."""

    type: Literal["behind_schedule"]
    data: BehindScheduleData


class PhotoRemovedNotification(_NotificationBase):
    """A coordinator removed my profile photo (I may upload another)."""

    type: Literal["photo_removed"]
    data: PhotoRemovedData


NotificationOut = Annotated[
    MatchCreatedNotification
    | CoordinatorMatchNotification
    | PartnerConfirmedNotification
    | MatchActiveNotification
    | MatchEndedNotification
    | TrialEndingNotification
    | BehindScheduleNotification
    | PhotoRemovedNotification,
    Field(discriminator="type"),
]

# Every type a notification may have, with the shape of its data. Storing a notification of
# another type is a programming error (app/services/notifications.py checks): add its model.
NOTIFICATION_DATA: dict[str, type[BaseModel]] = {
    "match_created": PartnerRef,
    "coordinator_match": PartnerRef,
    "partner_confirmed": MatchRef,
    "match_active": MatchRef,
    "match_ended": MatchRef,
    "trial_ending": TrialEndingData,
    "behind_schedule": BehindScheduleData,
    "photo_removed": PhotoRemovedData,
}
NOTIFICATION_TYPES = tuple(NOTIFICATION_DATA)


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = Field(
        description="Opaque cursor for the next page; null on the last page."
    )


_ADAPTER: TypeAdapter[Any] = TypeAdapter(NotificationOut)

# The sentence for each type, in both languages; `{placeholders}` come from `data`.
TEXTS: dict[str, dict[str, str]] = {
    "match_created": {
        "nl": "Je hebt een match met {partner_name}! Jullie proeftijd is begonnen.",
        "en": "You have a match with {partner_name}! Your trial period has started.",
    },
    "coordinator_match": {
        "nl": "Je coördinator heeft je gekoppeld aan {partner_name}.",
        "en": "Your coordinator paired you with {partner_name}.",
    },
    "partner_confirmed": {
        "nl": "Je partner wil na de proeftijd doorgaan.",
        "en": "Your partner wants to continue after the trial period.",
    },
    "match_active": {
        "nl": "Jullie gaan door: de match is actief.",
        "en": "You are continuing: the match is active.",
    },
    "match_ended": {
        "nl": "Je match is beëindigd. Je staat weer in de stapel.",
        "en": "Your match has ended. You are back in the deck.",
    },
    "trial_ending": {
        "nl": "De proeftijd eindigt op {trial_ends_on}. Bevestig als je wilt doorgaan.",
        "en": "The trial period ends on {trial_ends_on}. Confirm if you want to continue.",
    },
    "behind_schedule": {
        "nl": "Jullie lopen {behind_by_hours:g} uur achter op het plan.",
        "en": "You are {behind_by_hours:g} hours behind the plan.",
    },
    "photo_removed": {
        "nl": "Je coördinator heeft je profielfoto verwijderd. Je kunt een andere plaatsen.",
        "en": "Your coordinator removed your profile photo. You may upload another one.",
    },
}


def notification_text(type_: str, data: dict[str, Any], lang: str) -> str:
    template = TEXTS[type_]["en" if lang == "en" else "nl"]
    values = dict(data)
    if "trial_ends_at" in values:
        values["trial_ends_on"] = str(values["trial_ends_at"])[:10]
    return template.format(**values)


def notification_out(
    *, id: int, type: str, created_at: datetime, read: bool, data: dict[str, Any], lang: str
) -> Any:
    """The typed notification for a stored row, its text in `lang`."""
    return _ADAPTER.validate_python(
        {
            "id": id,
            "type": type,
            "created_at": created_at,
            "read": read,
            "data": data,
            "text": notification_text(type, data, lang),
        }
    )


MailType = Literal[
    "match_created", "coordinator_match", "trial_ending", "behind_schedule", "match_ended"
]


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

    language: LanguageValue = Field(
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

    language: LanguageValue | None = None
    mail: dict[MailType, bool] | None = None
