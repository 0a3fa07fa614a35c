"""Accounts: participants (teachers and professionals), coordinators, admins; login sessions,
refresh tokens and the single-use tokens mailed for verification and password reset."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlmodel import Column, Field, SQLModel

from app.i18n import Language
from app.models._types import (
    StrEnumColumn,
    check_in,
    created_at_field,
    enum_field,
    utc_column,
)


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
        CheckConstraint(check_in("role", Role), name="ck_users_role"),
        CheckConstraint(
            f"(role = '{Role.participant}' AND {check_in('side', Side)})"
            f" OR (role <> '{Role.participant}' AND side IS NULL)",
            name="ck_users_side",
        ),
        CheckConstraint(check_in("language", Language), name="ck_users_language"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Stored lower-cased, so the unique index makes "taken" case-insensitive; NULL once erased.
    email: str | None = Field(default=None, max_length=254, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    name: str = Field(max_length=120)
    role: Role = enum_field(Role, 16)
    side: Side | None = enum_field(Side, 16, nullable=True)
    created_at: datetime = created_at_field()
    last_login_at: datetime | None = utc_column()  # for the retention of inactive accounts
    deleted_at: datetime | None = utc_column()
    # Set when the address was proven (a verification link); staff and accounts older than
    # verification count as verified. Unverified participants take no part in matching.
    email_verified_at: datetime | None = utc_column()
    # The language of mails (and, later, of answers): 'nl' unless the user chose 'en'.
    language: Language = Field(
        default=Language.nl,
        sa_column=Column(
            StrEnumColumn(Language, 2), nullable=False, server_default=Language.nl.value
        ),
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class CoordinatorRegion(SQLModel, table=True):
    __tablename__ = "coordinator_regions"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    region: str = Field(primary_key=True, max_length=40)


class LoginSession(SQLModel, table=True):
    """One login (a device): its refresh tokens rotate within it, its access tokens carry its id.

    Revoking it (logout, DELETE /me/sessions/{id}, password change or reset, refresh reuse)
    sets `revoked_at`; the row stays until its last access token has expired, so that every
    API process can learn of the revocation (app/services/revocation.py).
    """

    __tablename__ = "login_sessions"

    id: str = Field(primary_key=True, max_length=32)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = created_at_field()
    last_used_at: datetime = utc_column(nullable=False)  # login or last refresh
    user_agent: str | None = Field(default=None, max_length=255)
    device_name: str | None = Field(default=None, max_length=100)
    revoked_at: datetime | None = utc_column(index=True)


class RefreshToken(SQLModel, table=True):
    """A refresh token, stored only as its SHA-256; each is usable exactly once.

    A rotated token's successor is derived from it (HMAC with a server key), so the same token
    presented again within the grace window yields the same successor instead of a new one.
    """

    __tablename__ = "refresh_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    session_id: str = Field(
        sa_column=Column(
            String(32),
            ForeignKey(
                "login_sessions.id", ondelete="CASCADE", name="fk_refresh_tokens_session_id"
            ),
            nullable=False,
            index=True,
        )
    )
    created_at: datetime = created_at_field()
    expires_at: datetime = utc_column(nullable=False)
    used_at: datetime | None = utc_column()


class TokenPurpose(StrEnum):
    verify_email = "verify_email"
    password_reset = "password_reset"
    email_change = "email_change"


class AccountToken(SQLModel, table=True):
    """A single-use, expiring token sent by mail, stored only as its SHA-256.

    `email` is the address the mail went to: the one to verify (verify_email), the new one
    (email_change), or the account's at the time (password_reset).
    """

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(check_in("purpose", TokenPurpose), name="ck_account_tokens_purpose"),
    )

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    purpose: TokenPurpose = enum_field(TokenPurpose, 16)
    email: str = Field(max_length=254)
    created_at: datetime = created_at_field()
    expires_at: datetime = utc_column(nullable=False)
    used_at: datetime | None = utc_column()


class RevocationVersion(SQLModel, table=True):
    """One row, bumped in the transaction of every session revocation: API processes compare
    it with the version their revocation set was read at (one primary-key read every few
    seconds)."""

    __tablename__ = "revocation_versions"

    name: str = Field(primary_key=True, max_length=16)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
