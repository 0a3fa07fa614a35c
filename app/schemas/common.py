"""Shapes shared by several routers: list envelopes, problem bodies."""

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


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
