"""GET /vocabulary: every code list, each item `{code, nl, en, ...}` (places: `{code, name,
region}`)."""

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.enums import SideValue


class Label(BaseModel):
    code: str
    nl: str = Field(description="Dutch label")
    en: str = Field(description="English label")


class SubjectItem(Label):
    group: Literal["school", "field"] = Field(
        description="school: a school subject; field: a professional field"
    )


class OrganisationTypeItem(Label):
    side: SideValue = Field(description="teacher: a school type; professional: a sector")


class GoalItem(Label):
    family: Literal["own", "pupil", "organisation"]
    sides: list[SideValue]


class OutcomeItem(Label):
    number: int = Field(ge=1, le=14)
    horizon: Literal["short", "long"]


class ActivityItem(Label):
    hours: float = Field(description="Indicative hours")


class PlaceItem(BaseModel):
    code: str
    name: str
    region: str = Field(description="Region code")


class VocabularyOut(BaseModel):
    subjects: list[SubjectItem]
    organisation_types: list[OrganisationTypeItem]
    goals: list[GoalItem]
    outcomes: list[OutcomeItem]
    activities: list[ActivityItem]
    places: list[PlaceItem]
    regions: list[Label]
    exit_reasons: list[Label]
    report_reasons: list[Label] = Field(description="Why a participant reports someone.")
