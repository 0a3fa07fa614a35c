"""Accounts: participants (teachers and professionals), coordinators, admins; refresh tokens."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlmodel import Column, Field, SQLModel

from app.models._types import created_at_field, utc_column


class Role(StrEnum):
    participant = "participant"
    coordinator = "coordinator"
    admin = "admin"


class Side(StrEnum):
    teacher = "teacher"
    professional = "professional"


FORMER_PARTICIPANT = "former participant"


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('participant', 'coordinator', 'admin')", name="ck_users_role"),
        CheckConstraint(
            "(role = 'participant' AND side IN ('teacher', 'professional'))"
            " OR (role <> 'participant' AND side IS NULL)",
            name="ck_users_side",
        ),
        CheckConstraint("language IN ('nl', 'en')", name="ck_users_language"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Stored lower-cased, so the unique index makes "taken" case-insensitive; NULL once erased.
    email: str | None = Field(default=None, max_length=254, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    name: str = Field(max_length=120)
    role: str = Field(max_length=16)
    side: str | None = Field(default=None, max_length=16)
    created_at: datetime = created_at_field()
    last_login_at: datetime | None = utc_column()  # for the retention of inactive accounts
    deleted_at: datetime | None = utc_column()
    # The language of mails (and, later, of answers): 'nl' unless the user chose 'en'.
    language: str = Field(
        default="nl", sa_column=Column(String(2), nullable=False, server_default="nl")
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class CoordinatorRegion(SQLModel, table=True):
    __tablename__ = "coordinator_regions"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    region: str = Field(primary_key=True, max_length=40)


class RefreshToken(SQLModel, table=True):
    """A refresh token, stored only as its SHA-256; each is usable exactly once."""

    __tablename__ = "refresh_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    family: str = Field(max_length=64, index=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = utc_column(nullable=False)
    used_at: datetime | None = utc_column()
