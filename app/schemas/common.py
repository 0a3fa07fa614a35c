"""Shapes shared by several routers: list envelopes, problem bodies, bounded dates."""

from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.errors import ErrorCode

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
                "code": "not_found",
                "title": "Niet gevonden",
                "status": 404,
                "detail": "Dit bestaat niet of is niet van jou.",
            }
        }
    )

    type: str = Field(description="A URI of its own for each error case (see `code`).")
    code: str = Field(
        description="A stable code to branch on; the table of codes is in the API description. "
        "New codes may be added: treat an unknown one by its `status`.",
        examples=["swipe_conflict"],
    )
    title: str = Field(description="Short, in the caller's language (Accept-Language).")
    status: int
    detail: str = Field(description="Human explanation, in the caller's language.")
    errors: list[ValidationItem] | None = None


def problem_responses(
    *answers: int | ErrorCode, extra: dict[int | str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` declaring problem+json answers (plus `extra`).

    Each answer is a status, or an error code of app/errors.py (its status, with exactly
    these codes listed for it). A bare status lists the default codes for it (app/openapi.py
    declare_errors), for 409 and 429 every code of that status: name them instead.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for answer in answers:
        status = answer.status if isinstance(answer, ErrorCode) else answer
        response = responses.setdefault(
            status,
            {
                "description": STATUS_DESCRIPTIONS.get(status, "Error"),
                "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            },
        )
        if isinstance(answer, ErrorCode):
            response.setdefault("x-error-codes", []).append(answer.code)
    return responses | (extra or {})


STATUS_DESCRIPTIONS = {
    400: "Invalid or expired link",
    401: "Missing, invalid or expired token",
    403: "Wrong role",
    404: "Not found (or not yours)",
    409: "Conflict with the current state",
    410: "Gone",
    413: "Request body too large",
    422: "Invalid input",
    429: "Too many requests",
    503: "Database unavailable",
}
