"""One error family and the handlers that render every error as problem+json (RFC 9457)."""

import logging
from dataclasses import dataclass
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.i18n import DEFAULT as DEFAULT_LANGUAGE
from app.i18n import negotiate

log = logging.getLogger("jobtinder")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://jobtinder.example/problems/"


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One distinct error case: a stable `code` a program branches on, its own problem `type`
    URI, the HTTP status, and the human title and detail in Dutch and English. A detail may
    hold `{placeholders}` filled from the raise site's `params`."""

    code: str
    status: int
    title: str
    detail: str
    title_nl: str
    detail_nl: str

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.code.replace("_", "-")

    def text(self, lang: str, params: dict[str, Any] | None = None) -> tuple[str, str]:
        """(title, detail) in this language."""
        title, detail = (
            (self.title_nl, self.detail_nl) if lang == "nl" else (self.title, self.detail)
        )
        return title, detail.format(**(params or {}))


# The registry: every error the API answers, in one place. The docs' table of error codes
# (the OpenAPI description, shown on /docs) is generated from it; raise sites reference these.
ERRORS: dict[str, ErrorCode] = {}


def _error(
    code: str, status: int, title: str, detail: str, title_nl: str, detail_nl: str
) -> ErrorCode:
    assert code not in ERRORS, code
    ERRORS[code] = ErrorCode(code, status, title, detail, title_nl, detail_nl)
    return ERRORS[code]


_INVALID_EN, _INVALID_NL = "Unprocessable content", "Ongeldige invoer"
VALIDATION_ERROR = _error(
    "validation_error",
    422,
    _INVALID_EN,
    "The request is not valid; see errors.",
    _INVALID_NL,
    "Het verzoek is niet geldig; zie errors.",
)
INVALID_JSON = _error(
    "invalid_json",
    422,
    _INVALID_EN,
    "The request body is not valid JSON.",
    _INVALID_NL,
    "De body van het verzoek is geen geldige JSON.",
)
TEXT_HAS_NUL = _error(
    "text_has_nul",
    422,
    _INVALID_EN,
    "Text must not contain NUL characters (U+0000); see errors.",
    _INVALID_NL,
    "Tekst mag geen NUL-tekens (U+0000) bevatten; zie errors.",
)
SAME_EMAIL = _error(
    "same_email",
    422,
    _INVALID_EN,
    "This is already your email address.",
    _INVALID_NL,
    "Dit is al je e-mailadres.",
)
WRONG_PASSWORD = _error(
    "wrong_password",
    422,
    _INVALID_EN,
    "The current password is not correct.",
    _INVALID_NL,
    "Het huidige wachtwoord klopt niet.",
)
INVALID_CURSOR = _error(
    "invalid_cursor",
    422,
    _INVALID_EN,
    "The cursor is not valid.",
    _INVALID_NL,
    "De cursor is niet geldig.",
)
TOKEN_INVALID = _error(
    "link_token_invalid",
    400,
    "Invalid or expired link",
    "This link is invalid, has expired or was already used. Ask for a new one.",
    "Ongeldige of verlopen link",
    "Deze link is ongeldig, verlopen of al gebruikt. Vraag een nieuwe aan.",
)
NOT_AUTHENTICATED = _error(
    "not_authenticated",
    401,
    "Unauthorized",
    "Missing, invalid or expired access token.",
    "Niet ingelogd",
    "Het toegangstoken ontbreekt, is ongeldig of verlopen.",
)
BAD_CREDENTIALS = _error(
    "bad_credentials",
    401,
    "Unauthorized",
    "Incorrect email or password.",
    "Niet ingelogd",
    "E-mailadres of wachtwoord onjuist.",
)
REFRESH_INVALID = _error(
    "refresh_token_invalid",
    401,
    "Unauthorized",
    "Refresh token is invalid, expired or already used.",
    "Niet ingelogd",
    "Het refresh token is ongeldig, verlopen of al gebruikt.",
)
PARTICIPANTS_ONLY = _error(
    "participants_only",
    403,
    "Forbidden",
    "Only participants (teachers and professionals) can do this.",
    "Niet toegestaan",
    "Alleen deelnemers (docenten en professionals) kunnen dit.",
)
COORDINATORS_ONLY = _error(
    "coordinators_only",
    403,
    "Forbidden",
    "Only coordinators can do this.",
    "Niet toegestaan",
    "Alleen coördinatoren kunnen dit.",
)
ADMINS_ONLY = _error(
    "admins_only",
    403,
    "Forbidden",
    "Only administrators can do this.",
    "Niet toegestaan",
    "Alleen beheerders kunnen dit.",
)
EMAIL_NOT_VERIFIED = _error(
    "email_not_verified",
    403,
    "Forbidden",
    "Verify your email address first: follow the link in the mail we sent you "
    "(POST /api/v1/auth/verify-email/resend sends a new one).",
    "Niet toegestaan",
    "Bevestig eerst je e-mailadres: volg de link in de mail die we je stuurden "
    "(POST /api/v1/auth/verify-email/resend stuurt een nieuwe).",
)
TRAJECTORY_READ_ONLY = _error(
    "trajectory_read_only",
    403,
    "Forbidden",
    "Coordinators can follow a trajectory but not change it.",
    "Niet toegestaan",
    "Coördinatoren kunnen een traject volgen maar niet wijzigen.",
)
NOT_FOUND = _error(
    "not_found",
    404,
    "Not found",
    "The requested resource does not exist or is not yours.",
    "Niet gevonden",
    "Dit bestaat niet of is niet van jou.",
)
METHOD_NOT_ALLOWED = _error(
    "method_not_allowed",
    405,
    "Method not allowed",
    "This method is not allowed here.",
    "Methode niet toegestaan",
    "Deze methode is hier niet toegestaan.",
)
CONFLICT = _error(
    "conflict",
    409,
    "Conflict",
    "This conflicts with the current state; reload and try again.",
    "Conflict",
    "Dit botst met de huidige stand van zaken; laad opnieuw en probeer het nog eens.",
)
ALREADY_VERIFIED = _error(
    "already_verified",
    409,
    "Conflict",
    "Your email address is already verified.",
    "Conflict",
    "Je e-mailadres is al bevestigd.",
)
PASSWORD_CHANGED_MEANWHILE = _error(
    "password_changed_meanwhile",
    409,
    "Conflict",
    "The password was changed meanwhile; log in again.",
    "Conflict",
    "Het wachtwoord is intussen gewijzigd; log opnieuw in.",
)
EMAIL_TAKEN = _error(
    "email_taken",
    409,
    "Conflict",
    "An account with this email address already exists.",
    "Conflict",
    "Er bestaat al een account met dit e-mailadres.",
)
PROFILE_INCOMPLETE = _error(
    "profile_incomplete",
    409,
    "Conflict",
    "Complete your profile first: headline, organisation, subjects, place, hours_per_month, "
    "available_months and goals.",
    "Conflict",
    "Maak eerst je profiel compleet: functie, organisatie, vakgebieden, plaats, uren per "
    "maand, beschikbare maanden en leerdoelen.",
)
SWIPE_CONFLICT = _error(
    "swipe_conflict",
    409,
    "Conflict",
    "You already swiped this person the other way; undo that swipe first.",
    "Conflict",
    "Je hebt deze persoon al andersom geswipet; maak dat eerst ongedaan.",
)
SWIPE_HAS_MATCH = _error(
    "swipe_has_match",
    409,
    "Conflict",
    "This like led to a match; exit the match instead.",
    "Conflict",
    "Deze like leidde tot een match; gebruik de exit-kaart.",
)
MATCH_NOT_IN_TRIAL = _error(
    "match_not_in_trial",
    409,
    "Conflict",
    "Only a match in its trial period can be confirmed.",
    "Conflict",
    "Alleen een match in de proeftijd kan worden bevestigd.",
)
MATCH_NOT_ONGOING = _error(
    "match_not_ongoing",
    409,
    "Conflict",
    "This match has already ended or completed.",
    "Conflict",
    "Deze match is al beëindigd of afgerond.",
)
PAIR_MATCHED_BEFORE = _error(
    "pair_matched_before",
    409,
    "Conflict",
    "These two were matched before; a pair is never matched again.",
    "Conflict",
    "Deze twee waren al eens gekoppeld; een koppel wordt nooit opnieuw gemaakt.",
)
PAIR_BLOCKED = _error(
    "pair_blocked",
    409,
    "Conflict",
    "One of the two has blocked the other.",
    "Conflict",
    "Een van de twee heeft de ander geblokkeerd.",
)
ONGOING_MATCH_LIMIT = _error(
    "ongoing_match_limit",
    409,
    "Conflict",
    "One of the two is at the limit of ongoing matches.",
    "Conflict",
    "Een van de twee zit aan het maximum aantal lopende matches.",
)
TRAJECTORY_CLOSED = _error(
    "trajectory_closed",
    409,
    "Conflict",
    "The trajectory is over: the match is no longer in its trial or active.",
    "Conflict",
    "Het traject is voorbij: de match is niet meer in proeftijd of actief.",
)
MIDTERM_NOT_ONGOING = _error(
    "midterm_not_ongoing",
    409,
    "Conflict",
    "The midterm evaluation is for a match in its trial or active.",
    "Conflict",
    "De tussenmeting is voor een match in proeftijd of actief.",
)
FINAL_NOT_ACTIVE = _error(
    "final_not_active",
    409,
    "Conflict",
    "The final evaluation is for an active or completed match.",
    "Conflict",
    "De nameting is voor een actieve of afgeronde match.",
)
EVALUATION_FILED = _error(
    "evaluation_filed",
    409,
    "Conflict",
    "You already filed this evaluation; it cannot be filed twice.",
    "Conflict",
    "Je hebt deze evaluatie al ingevuld; dat kan maar één keer.",
)
UNSUBSCRIBE_UNKNOWN = _error(
    "unsubscribe_unknown",
    404,
    "Not found",
    "This unsubscribe link is not valid.",
    "Niet gevonden",
    "Deze afmeldlink is niet geldig.",
)
UNSUBSCRIBE_USED = _error(
    "unsubscribe_used",
    410,
    "Gone",
    "This unsubscribe link has already been used.",
    "Verlopen",
    "Deze afmeldlink is al gebruikt.",
)
CONTENT_TOO_LARGE = _error(
    "content_too_large",
    413,
    "Content too large",
    "The request body is larger than {max_bytes} bytes.",
    "Te groot",
    "De body van het verzoek is groter dan {max_bytes} bytes.",
)
UNSUPPORTED_MEDIA_TYPE = _error(
    "unsupported_media_type",
    415,
    "Unsupported media type",
    "This content type is not accepted here.",
    "Niet-ondersteund mediatype",
    "Dit content-type wordt hier niet geaccepteerd.",
)
TOO_MANY_ATTEMPTS = _error(
    "too_many_attempts",
    429,
    "Too many requests",
    "Too many attempts. Try again in {retry_after} seconds.",
    "Te veel verzoeken",
    "Te veel pogingen. Probeer het over {retry_after} seconden opnieuw.",
)
HASHING_BUSY = _error(
    "hashing_busy",
    429,
    "Too many requests",
    "Too many logins at this moment. Try again in {retry_after} seconds.",
    "Te veel verzoeken",
    "Er wordt nu te veel ingelogd. Probeer het over {retry_after} seconden opnieuw.",
)
DAILY_LIKE_LIMIT = _error(
    "daily_like_limit",
    429,
    "Too many requests",
    "You used today's likes. Try again in {retry_after} seconds.",
    "Te veel verzoeken",
    "Je likes voor vandaag zijn op. Probeer het over {retry_after} seconden opnieuw.",
)
CONVERSATION_CLOSED = _error(
    "conversation_closed",
    409,
    "Conversation closed",
    "The conversation is closed: the match is no longer ongoing. Its history stays readable.",
    "Gesprek gesloten",
    "Het gesprek is gesloten: de match loopt niet meer. De berichten blijven leesbaar.",
)
CLIENT_ID_REUSED = _error(
    "client_id_reused",
    409,
    "client_id already used",
    "This client_id was already used for a different message in this conversation.",
    "client_id al gebruikt",
    "Deze client_id is in dit gesprek al gebruikt voor een ander bericht.",
)
REPORT_RESOLVED = _error(
    "report_already_resolved",
    409,
    "Report already resolved",
    "This report is already resolved.",
    "Melding al afgehandeld",
    "Deze melding is al afgehandeld.",
)
STREAM_TICKET_INVALID = _error(
    "stream_ticket_invalid",
    401,
    "Invalid stream ticket",
    "The stream ticket is unknown, expired or already used.",
    "Ongeldig streamticket",
    "Het streamticket is onbekend, verlopen of al gebruikt.",
)
LAST_EVENT_ID_INVALID = _error(
    "last_event_id_invalid",
    422,
    _INVALID_EN,
    "Last-Event-ID must be a non-negative integer (an event id).",
    _INVALID_NL,
    "Last-Event-ID moet een niet-negatief geheel getal zijn (een event-id).",
)
PHOTO_REFUSED = _error(
    "photo_refused",
    422,
    _INVALID_EN,
    "The photo cannot be used; see errors.",
    _INVALID_NL,
    "Deze foto kan niet worden gebruikt; zie errors.",
)
PHOTO_TOO_LARGE = _error(
    "photo_too_large",
    413,
    "Content too large",
    "The photo is larger than {max_bytes} bytes.",
    "Te groot",
    "De foto is groter dan {max_bytes} bytes.",
)
PUSH_NOT_CONFIGURED = _error(
    "push_not_configured",
    404,
    "Not found",
    "Web Push is not configured on this server.",
    "Niet gevonden",
    "Web Push is op deze server niet ingesteld.",
)
MESSAGE_RATE_LIMIT = _error(
    "message_rate_limit",
    429,
    "Too many requests",
    "You are sending messages too fast. Try again in {retry_after} seconds.",
    "Te veel verzoeken",
    "Je stuurt te snel berichten. Probeer het over {retry_after} seconden opnieuw.",
)
REPORT_RATE_LIMIT = _error(
    "report_rate_limit",
    429,
    "Too many requests",
    "You have sent the most reports allowed for now. Try again in {retry_after} seconds.",
    "Te veel verzoeken",
    "Je hebt voorlopig het maximale aantal meldingen gedaan. Probeer het over {retry_after} "
    "seconden opnieuw.",
)
INTERNAL_ERROR = _error(
    "internal_error",
    500,
    "Internal server error",
    "Something went wrong on our side.",
    "Interne fout",
    "Er ging iets mis aan onze kant.",
)
DATABASE_UNAVAILABLE = _error(
    "database_unavailable",
    503,
    "Service unavailable",
    "The database is unavailable. Please retry shortly.",
    "Dienst niet beschikbaar",
    "De database is niet bereikbaar. Probeer het zo opnieuw.",
)
EVENTS_UNAVAILABLE = _error(
    "events_unavailable",
    503,
    "Service unavailable",
    "The event stream is not available on this server. Please retry shortly.",
    "Dienst niet beschikbaar",
    "De eventstream is op deze server niet beschikbaar. Probeer het zo opnieuw.",
)
RETRY_AFTER_SECONDS = 5  # on every 503
BODY_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's own wording


class AppError(Exception):
    """An error the client may see: one registered ErrorCode, rendered in the caller's language.

    `AppError(CODE)` uses the code's own detail; a plain string instead of a code is a detail
    written at the raise site (English, e.g. a validation message) under the class's default
    code. `params` fill the code's `{placeholders}`.
    """

    default: ErrorCode = VALIDATION_ERROR

    def __init__(
        self,
        error: ErrorCode | str | None = None,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.error = error if isinstance(error, ErrorCode) else self.default
        self.custom_detail = error if isinstance(error, str) else None
        self.params = params or {}
        self.headers = headers
        self.detail = self.custom_detail or self.error.text("en", self.params)[1]
        super().__init__(self.detail)

    @property
    def status(self) -> int:
        return self.error.status

    def text(self, lang: str) -> tuple[str, str]:
        title, detail = self.error.text(lang, self.params)
        if self.custom_detail is not None and lang == "en":
            detail = self.custom_detail
        return title, detail


class NotFound(AppError):
    default = NOT_FOUND


class Gone(AppError):
    default = UNSUBSCRIBE_USED


class BadRequest(AppError):
    default = TOKEN_INVALID


class Unauthorized(AppError):
    default = NOT_AUTHENTICATED

    def __init__(self, error: ErrorCode | None = None) -> None:
        super().__init__(error, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    default = PARTICIPANTS_ONLY


class Conflict(AppError):
    default = CONFLICT


class Invalid(AppError):
    """A semantic validation failure found by a service (422, same shape as schema errors).

    The specific message is the English detail and each error's `msg`; in Dutch the detail is
    the code's own."""

    def __init__(
        self,
        detail: str,
        *,
        loc: list[str | int],
        type_: str = "value_error",
        code: ErrorCode = VALIDATION_ERROR,
    ) -> None:
        super().__init__(detail)
        self.error = code
        self.errors = [{"loc": loc, "msg": detail, "type": type_}]


class ContentTooLarge(AppError):
    default = CONTENT_TOO_LARGE

    def __init__(self, max_bytes: int, error: ErrorCode = CONTENT_TOO_LARGE) -> None:
        super().__init__(error, params={"max_bytes": max_bytes})


class ServiceUnavailable(AppError):
    default = DATABASE_UNAVAILABLE

    def __init__(self, error: ErrorCode | None = None) -> None:
        super().__init__(error, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class TooManyRequests(AppError):
    default = TOO_MANY_ATTEMPTS

    def __init__(self, retry_after: int, error: ErrorCode = TOO_MANY_ATTEMPTS) -> None:
        super().__init__(
            error,
            headers={"Retry-After": str(retry_after)},
            params={"retry_after": retry_after},
        )


def language_of(request: Request | None) -> str:
    """The language for this caller's problem texts (Accept-Language; Dutch by default)."""
    if request is None:
        return DEFAULT_LANGUAGE
    return negotiate(request.headers.get("accept-language"))


def problem(
    error: ErrorCode,
    lang: str = DEFAULT_LANGUAGE,
    *,
    detail: str | None = None,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    title, own_detail = error.text(lang, params)
    body = {
        "type": error.type,
        "code": error.code,
        "title": title,
        "status": error.status,
        "detail": detail if detail is not None else own_detail,
    }
    body.update(extra)
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON, headers=headers)


_HTTP_ERRORS = {
    401: NOT_AUTHENTICATED,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    413: CONTENT_TOO_LARGE,
    415: UNSUPPORTED_MEDIA_TYPE,
}


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in errors
    ]


def validation_problem(
    errors: list[dict[str, Any]],
    lang: str = DEFAULT_LANGUAGE,
    error: ErrorCode = VALIDATION_ERROR,
) -> JSONResponse:
    """The 422 answer for request validation errors, `errors: [{loc, msg, type}]`."""
    return problem(error, lang, errors=errors)


def database_unavailable(lang: str) -> JSONResponse:
    return problem(DATABASE_UNAVAILABLE, lang, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        extra: dict[str, Any] = {"errors": exc.errors} if isinstance(exc, Invalid) else {}
        lang = language_of(request)
        _, detail = exc.text(lang)
        return problem(
            exc.error, lang, detail=detail, params=exc.params, headers=exc.headers, **extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(_clean_errors(exc.errors()), language_of(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        lang = language_of(request)
        if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:
            # A body that is not even text/JSON: the same answer as any other invalid body.
            return problem(
                INVALID_JSON,
                lang,
                errors=[{"loc": ["body"], "msg": "Invalid JSON", "type": "json_invalid"}],
            )
        error = _HTTP_ERRORS.get(exc.status_code)
        headers = dict(exc.headers or {}) or None
        if error is None:  # a status we never raise ourselves: keep it, say little
            return problem(
                ErrorCode("http_error", exc.status_code, "Error", "Error", "Fout", "Fout"),
                lang,
                headers=headers,
            )
        return problem(error, lang, headers=headers)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(psycopg.OperationalError)  # the hot paths' own pool (its timeout too)
    async def _db_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return database_unavailable(language_of(request))

    @app.exception_handler(DBAPIError)
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return await _db_down(request, exc)
        log.exception("unhandled error")
        return problem(INTERNAL_ERROR, language_of(request))
