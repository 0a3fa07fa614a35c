"""Profile models: what a participant writes, sees of themselves, and shows to others."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    model_validator,
)

from app.schemas.enums import MatchModeValue, SideValue
from app.vocabulary import get_vocabulary


def codes_in(list_name: str) -> AfterValidator:
    def check(value: list[str] | str | None) -> list[str] | str | None:
        if value is None:
            return value
        allowed = {item["code"] for item in getattr(get_vocabulary(), list_name)}
        values = [value] if isinstance(value, str) else value
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"unknown code(s) {unknown}; see GET /api/v1/vocabulary ({list_name})")
        if isinstance(value, list) and len(set(value)) != len(value):
            raise ValueError("codes must not repeat")
        return value

    return AfterValidator(check)


def _place(value: str | None) -> str | None:
    if value is not None and value not in get_vocabulary().places:
        raise ValueError("unknown place; see GET /api/v1/vocabulary (places)")
    return value


def _months(value: list[int] | None) -> list[int] | None:
    if value is None:
        return None
    if len(set(value)) != len(value):
        raise ValueError("months must not repeat")
    return sorted(value)


SubjectCodes = Annotated[list[str], Field(min_length=1, max_length=10), codes_in("subjects")]
GoalCodes = Annotated[list[str], Field(min_length=1, max_length=20), codes_in("goals")]
OutcomeCodes = Annotated[list[str], Field(max_length=14), codes_in("outcomes")]
OrgType = Annotated[str, Field(max_length=40), codes_in("organisation_types")]
PlaceCode = Annotated[str, Field(max_length=60), AfterValidator(_place)]
Months = Annotated[
    list[Annotated[int, Field(ge=1, le=12)]],
    Field(min_length=1, max_length=12),
    AfterValidator(_months),
]
Unit = Annotated[float, Field(ge=0, le=1)]


class Weights(BaseModel):
    """How much each part of the match counts for me (0–1 each)."""

    model_config = ConfigDict(extra="forbid")

    subject: Unit
    motivation: Unit
    region: Unit
    availability: Unit

    @model_validator(mode="after")
    def _not_all_zero(self) -> "Weights":
        if self.subject + self.motivation + self.region + self.availability <= 0:
            raise ValueError("at least one weight must be above 0")
        return self


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{6,20}$")] | None = None
    linkedin_url: HttpUrl | None = Field(default=None, max_length=300)


class ProfileFields(BaseModel):
    """Every field a participant can set; all optional so a profile can grow step by step."""

    model_config = ConfigDict(extra="ignore")

    headline: str | None = Field(default=None, min_length=1, max_length=120)
    organisation: str | None = Field(default=None, min_length=1, max_length=120)
    organisation_type: OrgType | None = None
    bio: str | None = Field(default=None, max_length=2000)
    subjects: SubjectCodes | None = None
    education: str | None = Field(default=None, max_length=120)
    place: PlaceCode | None = None
    max_travel_km: int | None = Field(default=None, ge=1, le=300)
    hours_per_month: float | None = Field(default=None, ge=1, le=40)
    available_months: Months | None = None
    duration_months: int | None = Field(default=None, ge=3, le=6)
    goals: GoalCodes | None = None
    outcomes: OutcomeCodes | None = None
    motivation: str | None = Field(default=None, max_length=2000)
    match_mode: MatchModeValue | None = None
    weights: Weights | None = None
    manager_approval: bool | None = None
    confidentiality: str | None = Field(default=None, max_length=500)
    contact: Contact | None = None
    discoverable: bool | None = None


PROFILE_EXAMPLE: dict[str, Any] = {
    "headline": "Docent natuurkunde",
    "organisation": "Erasmiaans Gymnasium",
    "organisation_type": "gymnasium",
    "bio": "Ik geef natuurkunde in de bovenbouw en laat graag zien waar het vak toe leidt.",
    "subjects": ["natuurkunde", "wiskunde"],
    "education": "Lerarenopleiding natuurkunde (master)",
    "place": "rotterdam",
    "max_travel_km": 30,
    "hours_per_month": 8,
    "available_months": [1, 2, 3, 4, 5, 6],
    "duration_months": 3,
    "goals": ["practice_in_lessons", "hybrid_career"],
    "outcomes": ["richer_experience", "ideas_current_work"],
    "motivation": "Ik wil weten hoe techniek in de praktijk werkt.",
    "match_mode": "balanced",
    "manager_approval": True,
    "contact": {"email": "f.elamrani@example.org", "phone": "+31 6 12345678"},
    "discoverable": True,
}


class ProfilePut(ProfileFields):
    """Create or replace: fields left out return to their defaults."""

    model_config = ConfigDict(json_schema_extra={"example": PROFILE_EXAMPLE})


class ProfilePatch(ProfileFields):
    """Partial update: only the fields sent change."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"hours_per_month": 6, "discoverable": False}}
    )


class Photo(BaseModel):
    """A profile photo: signed URLs that stop working when they expire (PHOTO_URL_SECONDS)."""

    url: str = Field(description="The card image (WebP, long side at most 720 px).")
    thumbnail_url: str = Field(description="A square thumbnail (WebP, 160 x 160 px).")
    width: int = Field(description="The card image's width in pixels.")
    height: int = Field(description="The card image's height in pixels.")


class ProfileCard(BaseModel):
    """What other participants see: no contact (unless matched), weights or private notes."""

    id: int
    name: str
    side: SideValue
    region: str | None
    headline: str | None
    organisation: str | None
    organisation_type: str | None
    bio: str | None
    subjects: list[str]
    education: str | None
    place: str | None
    place_name: str | None
    max_travel_km: int
    hours_per_month: float | None
    available_months: list[int]
    duration_months: int
    goals: list[str]
    outcomes: list[str]
    motivation: str | None
    match_mode: MatchModeValue
    photo: Photo | None = Field(
        default=None,
        description="Shown wherever the card is shown; URLs are signed and expire.",
    )
    contact: Contact | None = Field(
        default=None,
        description="Only for matched partners (ongoing or past, never after a block between "
        "the two) and coordinators of the person's own region.",
    )


class ProfileOwn(ProfileCard):
    weights: Weights = Field(
        description="Effective weights: explicit ones, or the mode's defaults."
    )
    weights_explicit: bool
    manager_approval: bool
    confidentiality: str | None
    discoverable: bool
    complete: bool
    missing: list[str] = Field(description="Fields still needed for a complete profile.")
    updated_at: datetime
