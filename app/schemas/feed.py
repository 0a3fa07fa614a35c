"""Feed (swipe deck) models."""

from pydantic import BaseModel, Field

from app.schemas.profiles import ProfileCard


class Breakdown(BaseModel):
    subject: float = Field(ge=0, le=1, description="Vakinhoud")
    motivation: float = Field(ge=0, le=1, description="Motivatie / leerdoelen")
    region: float = Field(ge=0, le=1, description="Regio / nabijheid")
    availability: float = Field(ge=0, le=1, description="Beschikbaarheid")


class FeedItemOut(BaseModel):
    profile: ProfileCard
    score: float = Field(ge=0, le=1)
    breakdown: Breakdown
    reasons: list[str] = Field(min_length=1, max_length=4)
    distance_km: int = Field(
        ge=1, description="Distance between the two places, in whole km (at least 1)."
    )


class FeedPageOut(BaseModel):
    items: list[FeedItemOut]
    next_cursor: str | None
