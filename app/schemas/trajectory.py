"""Trajectory models: the plan, meetings, progress and the midterm and final evaluations."""

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from app.schemas.common import DATE_RANGE, bounded_date
from app.schemas.enums import EvaluationKindValue, SideValue
from app.schemas.profiles import codes_in


def _iso_date(value: Any) -> Any:
    # The body arrives as parsed JSON, so pydantic's strict mode would refuse every string;
    # lax mode would take numbers (as Unix times) and datetimes. Only YYYY-MM-DD passes.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(bounded_date),
    Field(description=f"A calendar date, YYYY-MM-DD, {DATE_RANGE}."),
]
Scale = Annotated[int, Field(strict=True, ge=1, le=5, description="1 (not at all) – 5 (very)")]


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


JointGoal = Annotated[str, Field(max_length=200), AfterValidator(_stripped)]
GoalCodes = Annotated[list[str], Field(max_length=20), codes_in("goals")]
ActivityCodes = Annotated[list[str], Field(max_length=20), codes_in("activities")]
ActivityCode = Annotated[str, Field(max_length=40), codes_in("activities")]
OutcomeCodes = Annotated[list[str], Field(max_length=14), codes_in("outcomes")]


# --- plan (kennismaking & werkafspraken) --------------------------------------------------------


class PlanIn(BaseModel):
    """The pair's plan. Either partner may store it; my_goals are only ever my own."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "my_goals": ["practice_in_lessons", "hybrid_career"],
                "joint_goals": ["Een gastles over onderhoud van trams voor 4 havo"],
                "planned_meetings": 7,
                "hours_target": 20,
                "planned_activities": ["intake", "workplace_visit", "guest_lesson"],
                "start_date": "2027-01-11",
                "planned_end": "2027-04-30",
            }
        },
    )

    my_goals: GoalCodes | None = Field(
        default=None,
        description="My learning goals (vocabulary `goals`); left out: my goals stay as they are.",
    )
    joint_goals: list[JointGoal] = Field(
        default_factory=list, max_length=10, description="Up to 10 shared goals in own words."
    )
    planned_meetings: int = Field(
        default=6, ge=1, le=20, description="How often we meet; 6–8 is the guideline."
    )
    hours_target: float = Field(
        default=20, ge=1, le=200, description="Hours we plan to spend in total (guideline 20)."
    )
    planned_activities: ActivityCodes = Field(
        default_factory=list, description="Activity codes (vocabulary `activities`)."
    )
    start_date: IsoDate
    planned_end: IsoDate = Field(description="3 to 6 months after start_date.")


class PlanOut(BaseModel):
    match_id: int
    my_goals: list[str] | None = Field(description="The viewer's goals; null for coordinators.")
    partner_goals: list[str] | None = Field(description="The partner's; null for coordinators.")
    teacher_goals: list[str]
    professional_goals: list[str]
    joint_goals: list[str]
    planned_meetings: int
    hours_target: float
    planned_activities: list[str]
    start_date: date
    planned_end: date
    stored: bool = Field(
        description="False: nobody stored a plan yet; this is the default from the match and "
        "the profiles."
    )
    updated_at: datetime | None
    updated_by_id: int | None


# --- meetings (activiteiten) --------------------------------------------------------------------


class MeetingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "date": "2027-01-18",
                "hours": 2.5,
                "activity": "workplace_visit",
                "note": "Twee lessen natuurkunde bijgewoond, daarna nagepraat.",
            }
        },
    )

    date: IsoDate = Field(description="When it took place: not in the future.")
    hours: float = Field(ge=0.5, le=12, description="0.5 to 12 hours.")
    activity: ActivityCode
    note: str | None = Field(default=None, max_length=1000)


class MeetingOut(BaseModel):
    id: int
    date: date
    hours: float
    activity: str
    note: str | None
    logged_by_id: int | None
    logged_by_me: bool
    created_at: datetime


# --- progress -----------------------------------------------------------------------------------


class ProgressOut(BaseModel):
    hours_logged: float
    hours_target: float
    meetings: int
    planned_meetings: int
    expected_hours_by_now: float = Field(
        description="hours_target × the part of start_date → planned_end that has passed."
    )
    on_track: bool = Field(
        description="At least 75% of expected_hours_by_now is logged (always true in the first "
        "14 days). The evaluation found that nobody under ~10 hours reached their goals."
    )
    behind_by_hours: float
    start_date: date
    planned_end: date


# --- evaluations (tussenmeting, nameting) -------------------------------------------------------


class MidtermAnswers(BaseModel):
    """The midterm (tussenmeting), about a month in; every scale 1–5."""

    model_config = ConfigDict(extra="forbid")

    satisfaction: Scale = Field(description="Satisfaction with the partner")
    personal_click: Scale = Field(description="Personal 'klik'")
    professional_click: Scale = Field(description="Professional 'klik'")
    different_types: Scale = Field(description="'We are totally different types'")
    match_importance: Scale = Field(description="How important the match is")
    confidence: Scale = Field(description="Confidence in reaching my outcomes")
    comment: str | None = Field(default=None, max_length=1000)


class FinalAnswers(BaseModel):
    """The final evaluation (nameting)."""

    model_config = ConfigDict(extra="forbid")

    expectations_met: Scale
    outcomes_reached: OutcomeCodes = Field(
        default_factory=list, description="Which of the 14 outcomes I reached (vocabulary)."
    )
    hours_spent: float = Field(ge=0, le=500)
    will_continue: Literal["yes", "no", "maybe"]
    continue_form: str | None = Field(
        default=None, max_length=500, description="In what form we will continue."
    )
    comment: str | None = Field(default=None, max_length=1000)


class MidtermIn(MidtermAnswers):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "kind": "midterm",
                "satisfaction": 4,
                "personal_click": 5,
                "professional_click": 3,
                "different_types": 2,
                "match_importance": 4,
                "confidence": 4,
            }
        },
    )

    kind: Literal["midterm"]  # the tag of EvaluationIn: EvaluationKind.midterm


class FinalIn(FinalAnswers):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "kind": "final",
                "expectations_met": 4,
                "outcomes_reached": ["richer_experience", "broader_network"],
                "hours_spent": 21.5,
                "will_continue": "yes",
                "continue_form": "Elk jaar een gastles en een bedrijfsbezoek met 4 havo.",
            }
        },
    )

    kind: Literal["final"]  # the tag of EvaluationIn: EvaluationKind.final


EvaluationIn = Annotated[MidtermIn | FinalIn, Field(discriminator="kind")]


class EvaluationOut(BaseModel):
    kind: EvaluationKindValue
    author_id: int
    author_side: SideValue
    mine: bool
    filed: bool
    created_at: datetime | None
    answers: MidtermAnswers | FinalAnswers | None = Field(
        description="Only for the author and coordinators; the partner sees only `filed`."
    )
