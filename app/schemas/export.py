"""GET /me/export: everything stored about me (AVG inzage), as one typed document."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.enums import (
    DecisionValue,
    EvaluationKindValue,
    LanguageValue,
    MailStatusValue,
    MatchModeValue,
    ReportStatusValue,
    RoleValue,
    SideValue,
)
from app.schemas.matches import MatchOut
from app.schemas.notifications import MailType, NotificationOut
from app.schemas.profiles import Photo


class ExportAccount(BaseModel):
    id: int
    email: str
    name: str
    role: RoleValue
    side: SideValue | None
    created_at: datetime
    language: LanguageValue = Field(description="The language of my mails.")
    email_verified: bool


class ExportSession(BaseModel):
    """A login still in force (as in GET /me/sessions)."""

    id: str
    created_at: datetime
    last_used_at: datetime
    user_agent: str | None
    device_name: str | None


class ExportNotificationSettings(BaseModel):
    mail: dict[MailType, bool] = Field(description="Per notification type: also by mail.")


class ExportMail(BaseModel):
    """A mail sent (or to be sent) to me; its content is not kept beyond delivery."""

    template: str
    to: str
    status: MailStatusValue
    created_at: datetime
    sent_at: datetime | None


class ExportLikesPerDay(BaseModel):
    """Likes made that day, undone ones included (the daily limit; only today is kept)."""

    day: date
    likes: int


class ExportContact(BaseModel):
    """My contact details as stored."""

    model_config = ConfigDict(extra="allow")

    email: str | None = None
    phone: str | None = None
    linkedin_url: str | None = None


class ExportWeights(BaseModel):
    """My own weights as stored (null in the profile: the defaults of my match_mode)."""

    subject: float
    motivation: float
    region: float
    availability: float


class ExportProfile(BaseModel):
    """My profile as stored, every column (including what only I and coordinators see)."""

    model_config = ConfigDict(extra="allow")

    user_id: int
    side: SideValue
    headline: str | None
    organisation: str | None
    organisation_type: str | None
    bio: str | None
    subjects: list[str]
    education: str | None
    place: str | None
    region: str | None
    max_travel_km: int
    hours_per_month: float | None
    available_months: list[int]
    duration_months: int
    goals: list[str]
    outcomes: list[str]
    motivation: str | None
    match_mode: MatchModeValue
    weights: ExportWeights | None
    manager_approval: bool
    confidentiality: str | None
    contact: ExportContact
    discoverable: bool
    complete: bool
    created_at: datetime
    updated_at: datetime
    photo: Photo | None = Field(description="My photo (signed URLs), if I have one.")


class ExportSwipe(BaseModel):
    target_id: int
    decision: DecisionValue
    created_at: datetime


class ExportBlock(BaseModel):
    user_id: int
    created_at: datetime


class PartnerName(BaseModel):
    id: int
    name: str


class MyExit(BaseModel):
    reason: str | None
    note: str | None


class ExportMatch(MatchOut):
    partner: PartnerName  # type: ignore[assignment]  # only who, nothing private of theirs
    my_exit: MyExit | None = Field(default=None, description="Only when I ended the match.")


class ExportMeeting(BaseModel):
    match_id: int
    date: date
    hours: float
    activity: str
    note: str | None = Field(description="Only the notes I wrote.")
    logged_by_me: bool
    created_at: datetime


class ExportEvaluation(BaseModel):
    match_id: int
    kind: EvaluationKindValue
    answers: dict[str, Any] = Field(description="My own answers (empty once erased).")
    created_at: datetime


class ExportPushSubscription(BaseModel):
    """A device that receives my Web Push messages (its keys are not exported)."""

    endpoint: str
    created_at: datetime


class ExportMessage(BaseModel):
    """A message I sent (the partner's words are theirs)."""

    id: int
    match_id: int
    body: str | None = Field(description="Null once removed (erasure).")
    client_id: str
    created_at: datetime


class ExportMessageRead(BaseModel):
    """How far I read a conversation."""

    match_id: int
    last_read_id: int


class ExportReport(BaseModel):
    """A report I filed (reports about me are not in my export)."""

    id: int
    user_id: int = Field(description="Whom I reported.")
    match_id: int | None
    message_id: int | None
    reason: str
    note: str | None
    status: ReportStatusValue
    created_at: datetime


class ExportOut(BaseModel):
    # Every section typed: a new one must be added here (an unknown key is refused).
    model_config = ConfigDict(extra="forbid")

    account: ExportAccount
    sessions: list[ExportSession]
    notification_settings: ExportNotificationSettings
    mails: list[ExportMail]
    push_subscriptions: list[ExportPushSubscription]
    profile: ExportProfile | None
    swipes: list[ExportSwipe]
    likes_per_day: list[ExportLikesPerDay]
    blocks: list[ExportBlock]
    matches: list[ExportMatch]
    meetings: list[ExportMeeting]
    evaluations: list[ExportEvaluation]
    messages: list[ExportMessage]
    message_reads: list[ExportMessageRead]
    reports: list[ExportReport]
    notifications: list[NotificationOut]
