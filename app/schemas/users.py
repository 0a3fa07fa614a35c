"""Account request and response models."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from app.schemas.profiles import ProfileOwn

SideLiteral = Literal["teacher", "professional"]


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
    password: str = Field(min_length=10, max_length=256)
    # Stripped before the length check: a name of only spaces is no name.
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    side: SideLiteral


class UserPublic(BaseModel):
    id: int
    email: str | None
    name: str
    role: Literal["participant", "coordinator", "admin"]
    side: SideLiteral | None
    regions: list[str] = Field(default_factory=list, description="Coordinators only.")


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
    refresh_token: str = Field(min_length=1, max_length=200)
