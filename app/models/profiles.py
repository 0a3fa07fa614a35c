"""The participant's profile: who they are and what a good match means to them."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer
from sqlmodel import Column, Field, SQLModel

from app.models._types import check_in, created_at_field, enum_field, json_field
from app.models.users import Side


class MatchMode(StrEnum):
    subject = "subject"
    surprise = "surprise"
    balanced = "balanced"


class Profile(SQLModel, table=True):
    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint("max_travel_km BETWEEN 1 AND 300", name="ck_profiles_travel"),
        CheckConstraint(
            "hours_per_month IS NULL OR (hours_per_month >= 1 AND hours_per_month <= 40)",
            name="ck_profiles_hours",
        ),
        CheckConstraint("duration_months BETWEEN 3 AND 6", name="ck_profiles_duration"),
        CheckConstraint(check_in("match_mode", MatchMode), name="ck_profiles_mode"),
        Index("ix_profiles_pool", "side", "complete", "discoverable"),
        Index("ix_profiles_side_updated", "side", "updated_at"),
    )

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    side: Side = enum_field(Side, 16)  # copied from the user: the feed filters on it
    headline: str | None = Field(default=None, max_length=120)
    organisation: str | None = Field(default=None, max_length=120)
    organisation_type: str | None = Field(default=None, max_length=40)
    bio: str | None = Field(default=None, max_length=2000)
    subjects: list[str] = json_field()
    education: str | None = Field(default=None, max_length=120)
    place: str | None = Field(default=None, max_length=60)
    region: str | None = Field(default=None, max_length=40, index=True)
    max_travel_km: int = 30
    hours_per_month: float | None = None
    available_months: list[int] = json_field()
    duration_months: int = 3
    goals: list[str] = json_field()
    outcomes: list[str] = json_field()
    motivation: str | None = Field(default=None, max_length=2000)
    match_mode: MatchMode = enum_field(MatchMode, 16, default=MatchMode.balanced)
    weights: dict[str, float] | None = json_field(None, nullable=True)
    manager_approval: bool = False
    confidentiality: str | None = Field(default=None, max_length=500)
    contact: dict[str, Any] = json_field(dict)
    discoverable: bool = True
    complete: bool = False
    # The photo: its images' content-derived key in the media storage (app/services/photos.py)
    # and the card image's size; all three set or all three null.
    photo_key: str | None = Field(default=None, max_length=64, index=True)
    photo_width: int | None = None
    photo_height: int | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class FeatureVersion(SQLModel, table=True):
    """One row per side, bumped in the same transaction as every change to that side's
    profiles, so each API process can tell with one primary-key read whether its ranking
    features are still current (see app/services/feature_store.py)."""

    __tablename__ = "feature_versions"

    side: str = Field(primary_key=True, max_length=16)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    deletions: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    # Bumped by `jobtinder tick` whenever it stores new congestion prices for the side.
    prices: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, default=0, server_default="0")
    )


class CongestionPrice(SQLModel, table=True):
    """How contested a free participant is (see app/matching/congestion.py): computed by
    `jobtinder tick`, loaded into every process's feature store, only read by the feed."""

    __tablename__ = "congestion_prices"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    side: str = Field(max_length=16, index=True)
    price: float
    computed_at: datetime = created_at_field()
