"""Account request and response models."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from app.passwords import MAX_LENGTH, MIN_LENGTH, check_new_password
from app.schemas.enums import RoleValue, SideValue
from app.schemas.profiles import ProfileOwn

NewPassword = Annotated[
    str,
    Field(
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description="At least 10 characters, and not one of the most common passwords.",
    ),
    AfterValidator(check_new_password),
]
# A single-use token from a mail (256 bits, URL-safe base64: 43 characters).
MailToken = Annotated[str, Field(min_length=1, max_length=200)]


class RegisterIn(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "example": {
                "email": "fatima.elamrani@example.org",
                "password": "lange-geheime-zin",
                "name": "Fatima El Amrani",
                "side": "teacher",
            }
        },
    )

    email: EmailStr
    password: NewPassword
    # Stripped before the length check: a name of only spaces is no name.
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    side: SideValue


class UserPublic(BaseModel):
    id: int
    email: str | None
    name: str
    role: RoleValue
    side: SideValue | None
    regions: list[str] = Field(default_factory=list, description="Coordinators only.")
    email_verified: bool = Field(
        description="Whether the address is verified. Unverified participants may log in and "
        "edit their profile, but do not appear in feeds and cannot browse the feed or swipe."
    )


class MeOut(UserPublic):
    profile: ProfileOwn | None


class TokenOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
                "refresh_token": "q3Jx0...",
                "token_type": "bearer",
                "expires_in": 1800,
            }
        }
    )

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class RefreshIn(BaseModel):
    refresh_token: str = Field(
        min_length=1,
        max_length=200,
        description="The refresh token of the last pair (single use; see the grace window).",
        examples=["Jq0m6Vd3yB1YvC8lHk2sQe4pX9tRwZ7uNnA5oLfGiMc"],
    )


class SessionOut(BaseModel):
    """One login (device) of mine."""

    id: str
    created_at: datetime
    last_used_at: datetime = Field(description="The login or the last token refresh.")
    user_agent: str | None
    device_name: str | None = Field(description="As given at login (`device_name`).")
    current: bool = Field(description="The session of the access token of this request.")


class SessionPage(BaseModel):
    items: list[SessionOut]
    next_cursor: str | None


class ChangePasswordIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"current_password": "lange-geheime-zin", "new_password": "nog-langere-zin"}
        }
    )

    current_password: str = Field(min_length=1, max_length=MAX_LENGTH)
    new_password: NewPassword


class ChangeEmailIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "new_email": "f.elamrani@school.example.org",
                "password": "lange-geheime-zin",
            }
        }
    )

    new_email: EmailStr
    password: str = Field(min_length=1, max_length=MAX_LENGTH, description="My current password.")


class VerifyEmailIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"token": "3q2-7wXk..."}})

    token: MailToken


class VerifiedOut(BaseModel):
    email: str = Field(description="The verified address (for an address change: the new one).")
    email_verified: Literal[True] = True


class PasswordResetIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"email": "fatima.elamrani@example.org"}}
    )

    email: EmailStr


class PasswordResetConfirmIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"token": "3q2-7wXk...", "new_password": "nog-langere-zin"}}
    )

    token: MailToken
    new_password: NewPassword


class AcceptedOut(BaseModel):
    detail: str
