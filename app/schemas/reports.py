"""Safety report models: what a participant files, what the region's coordinator sees."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.pagination import MAX_ID
from app.schemas.coordinator import PartnerSummary
from app.schemas.enums import ReportStatusValue
from app.schemas.profiles import codes_in

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class ReportIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "user_id": 42,
                "match_id": 7,
                "message_id": 1234,
                "reason": "harassment",
                "note": "Blijft berichten sturen nadat ik heb gezegd te willen stoppen.",
                "block": True,
            }
        },
    )

    user_id: Id = Field(description="The person reported.")
    match_id: Id | None = Field(default=None, description="Our match, if it is about it.")
    message_id: Id | None = Field(
        default=None,
        description="One message they sent me: the region's coordinator sees its text, and "
        "only that message of the conversation.",
    )
    reason: Annotated[str, Field(max_length=40), codes_in("report_reasons")] = Field(
        description="Reason code (vocabulary `report_reasons`)."
    )
    note: str | None = Field(default=None, max_length=2000, description="For the coordinator only.")
    block: bool = Field(
        default=False,
        description="Also block this person in the same call (as POST /blocks: an ongoing "
        "match ends, we never see each other again).",
    )


class ReportOut(BaseModel):
    """My report as I filed it. The reported person is never told."""

    id: int
    user_id: int
    match_id: int | None
    message_id: int | None
    reason: str
    note: str | None
    status: ReportStatusValue
    created_at: datetime
    blocked: bool = Field(description="A block of mine on this person stands now.")


class ReportedMessage(BaseModel):
    id: int
    sender_id: int
    body: str | None = Field(description="null once removed (the sender erased their account).")
    removed: bool
    created_at: datetime


class CoordinatorReport(BaseModel):
    id: int
    status: ReportStatusValue
    reason: str
    note: str | None = Field(description="The reporter's note.")
    region: str | None = Field(description="The reported person's region when reported.")
    reporter: PartnerSummary
    reported: PartnerSummary
    match_id: int | None
    message: ReportedMessage | None = Field(
        description="The reported message, the only text of the conversation shown."
    )
    created_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None
    resolution_note: str | None


class ResolveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"note": "Gesprek gehad met beide; waarschuwing gegeven."}},
    )

    note: str | None = Field(default=None, max_length=2000, description="How it was handled.")
