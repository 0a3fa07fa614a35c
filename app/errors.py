"""One error family and the handlers that render every error as problem+json (RFC 9457)."""

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("jobtinder")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://jobtinder.example/problems/"

# Message constants that tests import.
NOT_FOUND = "The requested resource does not exist or is not yours."
NOT_AUTHENTICATED = "Missing, invalid or expired access token."
BAD_CREDENTIALS = "Incorrect email or password."
EMAIL_TAKEN = "An account with this email address already exists."
FORBIDDEN = "Your role does not allow this."
PROFILE_INCOMPLETE = (
    "Complete your profile first: headline, organisation, subjects, place, hours_per_month, "
    "available_months and goals."
)
SWIPE_CONFLICT = "You already swiped this person the other way; undo that swipe first."
SWIPE_HAS_MATCH = "This like led to a match; exit the match instead."
MATCH_NOT_IN_TRIAL = "Only a match in its trial period can be confirmed."
MATCH_NOT_ONGOING = "This match has already ended or completed."
REFRESH_INVALID = "Refresh token is invalid, expired or already used."
DATABASE_UNAVAILABLE = "The database is unavailable. Please retry shortly."
UNSUBSCRIBE_UNKNOWN = "This unsubscribe link is not valid."
UNSUBSCRIBE_USED = "This unsubscribe link has already been used."
BODY_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's own wording


class AppError(Exception):
    """An error with an HTTP status that the client may see."""

    status: int = 400
    title: str = "Bad request"
    slug: str = "bad-request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class NotFound(AppError):
    status, title, slug = 404, "Not found", "not-found"

    def __init__(self, detail: str = NOT_FOUND) -> None:
        super().__init__(detail)


class Gone(AppError):
    status, title, slug = 410, "Gone", "gone"


class Unauthorized(AppError):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str = NOT_AUTHENTICATED) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status, title, slug = 403, "Forbidden", "forbidden"

    def __init__(self, detail: str = FORBIDDEN) -> None:
        super().__init__(detail)


class Conflict(AppError):
    status, title, slug = 409, "Conflict", "conflict"


class Invalid(AppError):
    """A semantic validation failure found by a service (422, same shape as schema errors)."""

    status, title, slug = 422, "Unprocessable content", "validation-error"

    def __init__(self, detail: str, *, loc: list[str | int], type_: str = "value_error") -> None:
        super().__init__(detail)
        self.errors = [{"loc": loc, "msg": detail, "type": type_}]


class ContentTooLarge(AppError):
    status, title, slug = 413, "Content too large", "content-too-large"


class ServiceUnavailable(AppError):
    status, title, slug = 503, "Service unavailable", "service-unavailable"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_HTTP_TITLES = {
    400: ("Bad request", "bad-request"),
    401: ("Unauthorized", "unauthorized"),
    403: ("Forbidden", "forbidden"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
    413: ("Content too large", "content-too-large"),
    415: ("Unsupported media type", "unsupported-media-type"),
    429: ("Too many requests", "too-many-requests"),
}


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in errors
    ]


def validation_problem(errors: list[dict[str, Any]]) -> JSONResponse:
    """The 422 answer for request validation errors, `errors: [{loc, msg, type}]`."""
    return problem(
        422,
        "Unprocessable content",
        "The request is not valid; see errors.",
        slug="validation-error",
        errors=errors,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        extra = {"errors": exc.errors} if isinstance(exc, Invalid) else {}
        return problem(
            exc.status, exc.title, exc.detail, slug=exc.slug, headers=exc.headers, **extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(_clean_errors(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:
            # A body that is not even text/JSON: the same answer as any other invalid body.
            return problem(
                422,
                "Unprocessable content",
                "The request body is not valid JSON.",
                slug="validation-error",
                errors=[{"loc": ["body"], "msg": "Invalid JSON", "type": "json_invalid"}],
            )
        title, slug = _HTTP_TITLES.get(exc.status_code, ("Error", "error"))
        if exc.status_code == 404:
            detail = NOT_FOUND
        elif isinstance(exc.detail, str):
            detail = exc.detail
        else:
            detail = title
        if exc.status_code == 401:
            detail = NOT_AUTHENTICATED
        return problem(
            exc.status_code, title, detail, slug=slug, headers=dict(exc.headers or {}) or None
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(psycopg.OperationalError)  # the hot paths' own pool (its timeout too)
    async def _db_down(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return problem(
            503,
            "Service unavailable",
            DATABASE_UNAVAILABLE,
            slug="service-unavailable",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(DBAPIError)
    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return await _db_down(_, exc)
        log.exception("unhandled error")
        return problem(
            500, "Internal server error", "Something went wrong on our side.", slug="internal"
        )
