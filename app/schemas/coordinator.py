"""Coordinator models: participants and pairs of their regions, blind matches, suggestions."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from app.pagination import MAX_ID
from app.schemas.enums import MatchOriginValue, MatchStatusValue, SideValue
from app.schemas.feed import Breakdown
from app.schemas.profiles import Contact, Photo
from app.schemas.trajectory import EvaluationOut, ProgressOut
from app.schemas.users import NewPassword

ParticipantStatus = Literal["no_profile", "incomplete", "looking", "trial", "active", "completed"]


class ParticipantRow(BaseModel):
    id: int
    name: str
    email: str | None
    side: SideValue
    region: str | None
    place: str | None
    headline: str | None
    organisation: str | None
    status: ParticipantStatus
    complete: bool
    missing: list[str]
    discoverable: bool
    manager_approval: bool
    contact: Contact | None
    photo: Photo | None = None
    created_at: datetime


class PartnerSummary(BaseModel):
    """A partner of a pair: `email` and `contact` only when the person's own region is mine."""

    id: int
    name: str
    email: str | None = Field(description="Only for coordinators of the person's own region.")
    region: str | None
    contact: Contact | None = Field(description="Only for coordinators of the person's own region.")
    photo: Photo | None = None


class CoordinatorMatch(BaseModel):
    id: int
    status: MatchStatusValue
    origin: MatchOriginValue
    teacher: PartnerSummary
    professional: PartnerSummary
    created_at: datetime
    trial_ends_at: datetime
    trial_overdue: bool
    at_risk: bool = Field(description="Behind on hours, or trial overdue.")
    ends_at: datetime
    teacher_confirmed: bool
    professional_confirmed: bool
    ended_at: datetime | None
    ended_by: Literal["teacher", "professional", "coordinator"] | None
    exit_reason: str | None = Field(description="Only coordinators see exit reasons.")
    exit_note: str | None = Field(description="Only coordinators see exit notes.")
    progress: ProgressOut = Field(description="Hours against the plan's pace (phase 3).")
    evaluations: list[EvaluationOut] = Field(
        description="Each partner's midterm and final evaluation, with the answers."
    )


class BlindMatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"teacher_id": 12, "professional_id": 34}},
    )

    teacher_id: int = Field(ge=1, le=MAX_ID)
    professional_id: int = Field(ge=1, le=MAX_ID)


class SuggestionsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"region": "rotterdam"}}
    )

    region: str = Field(min_length=1, max_length=40)


class SuggestedPerson(BaseModel):
    id: int
    name: str
    headline: str | None
    place: str | None


class SuggestedPair(BaseModel):
    teacher: SuggestedPerson
    professional: SuggestedPerson
    score: float = Field(ge=0, le=1)
    breakdown: Breakdown
    reasons: list[str]
    distance_km: float


class SuggestionsOut(BaseModel):
    region: str
    pairs: list[SuggestedPair]
    unpaired_teacher_ids: list[int]
    unpaired_professional_ids: list[int]


class StaffIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "email": "coordinator.denhaag@example.org",
                "password": "een-lang-wachtwoord",
                "name": "Sanne Bakker",
                "role": "coordinator",
                "regions": ["den-haag"],
            }
        },
    )

    email: EmailStr
    password: NewPassword
    name: str = Field(min_length=1, max_length=120)
    role: Literal["coordinator", "admin"]
    regions: list[str] = Field(default_factory=list, max_length=20)


class RegionStats(BaseModel):
    region: str | None = Field(description="null = all my regions")
    period_from: datetime | None
    period_to: datetime | None
    participants: dict[str, int] = Field(description="per side")
    complete_profiles: dict[str, int]
    likes: int
    passes: int
    mutual_matches: int
    coordinator_matches: int
    matches_by_status: dict[str, int]
    trial_to_active_rate: float | None = Field(
        description="Of matches whose trial was decided (active, completed, or ended in trial)."
    )
    exits_by_reason: dict[str, int]
    median_hours_logged: float | None = Field(
        description="Of matches that started (not ended in trial)"
    )
    total_hours_logged: float
    share_on_track: float | None = Field(description="Ongoing matches on pace with their plan")
    midterm_evaluations: int
    final_evaluations: int
    midterm_averages: dict[str, float | None] = Field(description="1–5 scales of the tussenmeting")
    final_averages: dict[str, float | None] = Field(
        description="expectations_met (1–5), hours_spent"
    )
    outcomes_reached: dict[str, int] = Field(
        description="How often each of the 14 outcomes was reached"
    )
    will_continue: dict[str, int]
