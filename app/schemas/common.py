"""Shapes shared by several routers: list envelopes, problem bodies, bounded dates."""

from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

T = TypeVar("T")

# Every date a client sends (query, body, cursor) lies within these: the programme's own
# dates do, and anything else (year 1, year 9999) is a typo or a probe that would overflow
# when moved to UTC or compared with the database's timestamps.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)
DATE_RANGE = f"between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}"


def bounded_date(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"date must be {DATE_RANGE}")
    return value


def bounded_utc(value: datetime) -> datetime:
    """Checked on the wall-clock date as given (no arithmetic that could overflow), then
    moved to UTC; a time without an offset is taken as UTC."""
    bounded_date(value.date())
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[
    datetime,
    AfterValidator(bounded_utc),
    Field(description=f"ISO 8601 date and time, {DATE_RANGE}; without an offset: UTC."),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Opaque cursor for the next page; null on the last page."
    )


class ValidationItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "type": "https://jobtinder.example/problems/not-found",
                "title": "Not found",
                "status": 404,
                "detail": "The requested resource does not exist or is not yours.",
            }
        }
    )

    type: str
    title: str
    status: int
    detail: str
    errors: list[ValidationItem] | None = None


def problem_responses(
    *codes: int, extra: dict[int | str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` declaring problem+json answers for these codes (plus `extra`)."""
    descriptions = {
        401: "Missing, invalid or expired token",
        403: "Wrong role",
        404: "Not found (or not yours)",
        409: "Conflict with the current state",
        413: "Content too large",
        422: "Invalid input",
        429: "Too many requests",
        503: "Database unavailable",
    }
    return {
        code: {
            "description": descriptions.get(code, "Error"),
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for code in codes
    } | (extra or {})
