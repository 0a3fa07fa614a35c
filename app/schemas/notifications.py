"""Notification models: `type` is one of NOTIFICATION_TYPES, and `data` has one shape per type
(a union discriminated by `type`)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter


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


class _NotificationBase(BaseModel):
    id: int
    created_at: datetime
    read: bool


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


NotificationOut = Annotated[
    MatchCreatedNotification
    | CoordinatorMatchNotification
    | PartnerConfirmedNotification
    | MatchActiveNotification
    | MatchEndedNotification
    | TrialEndingNotification
    | BehindScheduleNotification,
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
}
NOTIFICATION_TYPES = tuple(NOTIFICATION_DATA)


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = Field(
        description="Opaque cursor for the next page; null on the last page."
    )


_ADAPTER: TypeAdapter[Any] = TypeAdapter(NotificationOut)


def notification_out(
    *, id: int, type: str, created_at: datetime, read: bool, data: dict[str, Any]
) -> Any:
    """The typed notification for a stored row."""
    return _ADAPTER.validate_python(
        {"id": id, "type": type, "created_at": created_at, "read": read, "data": data}
    )


class UnreadCountOut(BaseModel):
    unread: int = Field(ge=0, description="My unread notifications.")
