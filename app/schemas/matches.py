"""Match, swipe and block models."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.pagination import MAX_ID
from app.schemas.enums import DecisionValue, MatchOriginValue, MatchStatusValue
from app.schemas.profiles import ProfileCard, codes_in


class MatchOut(BaseModel):
    id: int
    status: MatchStatusValue
    origin: MatchOriginValue
    partner: ProfileCard = Field(
        description="The partner's card with contact. After a block between the two (either "
        "way) only a stub: id, name and side, every other field empty, no contact."
    )
    created_at: datetime
    trial_ends_at: datetime
    trial_overdue: bool = Field(description="The trial is past its end without both confirmations.")
    ends_at: datetime
    duration_months: int
    confirmed_by_me: bool
    confirmed_by_partner: bool
    ended_at: datetime | None


class ExitIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"reason": "no_time", "note": "Te druk op school."}},
    )

    reason: Annotated[str, codes_in("exit_reasons")] | None = Field(
        default=None, description="Exit reason code (vocabulary `exit_reasons`)."
    )
    note: str | None = Field(
        default=None, max_length=2000, description="Seen only by coordinators, never the partner."
    )


class SwipeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"target_id": 42, "decision": "like"}}
    )

    target_id: int = Field(ge=1, le=MAX_ID)
    decision: DecisionValue


class SwipeOut(BaseModel):
    target_id: int
    decision: DecisionValue
    match: MatchOut | None


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"user_id": 42}})

    user_id: int = Field(ge=1, le=MAX_ID)


class BlockOut(BaseModel):
    user_id: int
    created_at: datetime


class MySwipeOut(BaseModel):
    target_id: int
    decision: DecisionValue
    created_at: datetime
    undoable: bool = Field(
        description="DELETE /swipes/{target_id} would succeed: no match came from this swipe."
    )


class MyBlockOut(BlockOut):
    name: str = Field(description="The blocked person's name ('former participant' once gone).")
