"""Accounts: register, log in (OAuth2 password flow), refresh, log out."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel import Session

from app import ratelimit
from app.db import WriteSession
from app.errors import (
    ALREADY_VERIFIED,
    BAD_CREDENTIALS,
    EMAIL_TAKEN,
    HASHING_BUSY,
    REFRESH_INVALID,
    TOKEN_INVALID,
    TOO_MANY_ATTEMPTS,
    Unauthorized,
)
from app.schemas.common import problem_responses
from app.schemas.users import (
    AcceptedOut,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RefreshIn,
    RegisterIn,
    TokenOut,
    UserPublic,
    VerifiedOut,
    VerifyEmailIn,
)
from app.security import (
    Bearer,
    CurrentUser,
    hash_password_bounded,
    password_request_admission,
)
from app.services import account_tokens, accounts, sessions

router = APIRouter(prefix="/auth", tags=["account"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    summary="Registreren als docent of professional",
    description="Create a participant account. The email is unique regardless of case; "
    "the password needs at least 10 characters and must not be a common one. A verification "
    "mail is sent: until its link is used (POST /auth/verify-email) the participant can log "
    "in and edit their profile, but does not appear in feeds and cannot browse or swipe. "
    "Staff accounts are never self-registered.",
    responses=problem_responses(EMAIL_TAKEN, 422, TOO_MANY_ATTEMPTS, HASHING_BUSY),
)
async def register(body: RegisterIn, session: WriteSession, request: Request) -> UserPublic:
    async with password_request_admission():
        await run_in_threadpool(
            ratelimit.hit, ratelimit.registration_limit(), client_address(request)
        )
        # Hashed before the database is touched (and also for a taken email: the same cost).
        password_hash = await hash_password_bounded(body.password)
        user = await run_in_threadpool(
            accounts.register, session=session, body=body, password_hash=password_hash
        )
    return UserPublic.model_validate(user, from_attributes=True)


@router.post(
    "/token",
    response_model=TokenOut,
    summary="Inloggen (OAuth2 password flow)",
    description="Form fields `username` (your email) and `password`, and optionally "
    "`device_name` (shown in GET /me/sessions). Used by the Authorize button of /docs. Unknown "
    "email and wrong password get the same answer. Every login is a session of its own.",
    responses=problem_responses(BAD_CREDENTIALS, 422, TOO_MANY_ATTEMPTS, HASHING_BUSY),
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: WriteSession,
    request: Request,
    device_name: Annotated[str | None, Form(max_length=100)] = None,
) -> TokenOut:
    """async: a login waiting for its turn holds no thread and no connection."""
    async with password_request_admission():
        per_account, per_address = ratelimit.login_limits()
        await run_in_threadpool(ratelimit.hit, per_address, client_address(request))
        account = accounts.normalise_email(form.username)
        # A place in the account's budget of failures, taken before the password is verified: a
        # burst of guesses in any number of processes verifies at most that many passwords.
        reservation = await run_in_threadpool(ratelimit.reserve, per_account, account)
        try:
            user_id = await accounts.authenticate(
                session=session, email=account, password=form.password
            )
        except Unauthorized:
            raise  # a wrong password keeps its place: it counts against the account
        except Exception:
            # Not verified (no hashing slot, database trouble): no guess was checked.
            await run_in_threadpool(ratelimit.release, reservation)
            raise
        await run_in_threadpool(ratelimit.release, reservation)  # the right one never counts
        return await run_in_threadpool(
            accounts.log_in,
            session=session,
            user_id=user_id,
            user_agent=request.headers.get("user-agent"),
            device_name=(device_name or "").strip() or None,
        )


def client_address(request: Request) -> str:
    """The caller's address: the connecting peer, or behind trusted proxies the address the
    nearest one saw (uvicorn's proxy headers with FORWARDED_ALLOW_IPS; see the README)."""
    return request.client.host if request.client else "unknown"


@router.post(
    "/refresh",
    response_model=TokenOut,
    summary="Nieuwe tokens met een refresh token",
    description="Trade a refresh token for a new pair. Every refresh token works once: "
    "presented again within 30 seconds (REFRESH_GRACE_SECONDS) of its use, before the new "
    "refresh token was used, it answers the same new refresh token (with a fresh access token) "
    "— safe for retries and racing requests; presented again later, it revokes that whole "
    "login, access tokens included.",
    responses=problem_responses(REFRESH_INVALID, 422),
)
def refresh(body: RefreshIn, session: WriteSession) -> TokenOut:
    return accounts.rotate_refresh_token(session=session, refresh_token=body.refresh_token)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Uitloggen",
    description="End this login: its refresh token stops working at once and its access "
    "tokens within seconds on every server (REVOCATION_REFRESH_SECONDS, default 2). Other "
    "logins (devices) stay.",
    responses=problem_responses(401),
)
def logout(bearer: Bearer, session: WriteSession) -> Response:
    revoked = sessions.revoke(session, user_id=bearer.user_id, session_ids=[bearer.session_id])
    sessions.commit_revocation(session, revoked)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


RESET_ACCEPTED = (
    "If an account uses this address, we sent it a link to set a new password. "
    "The link works once, for 30 minutes."
)


@router.post(
    "/verify-email",
    response_model=VerifiedOut,
    summary="E-mailadres bevestigen",
    description="Use the token from a verification mail (after registration, or for a new "
    "address: then the change takes effect now and the old address is told). Single use; "
    "valid 48 hours (EMAIL_VERIFICATION_HOURS). No login needed: the link may be opened on "
    "another device. 400 for an invalid, expired or used token; failures are limited per "
    "client address (429).",
    responses=problem_responses(TOKEN_INVALID, EMAIL_TAKEN, 422, TOO_MANY_ATTEMPTS),
)
def verify_email(body: VerifyEmailIn, session: WriteSession, request: Request) -> VerifiedOut:
    with _token_attempt(session, request):
        email = account_tokens.verify_email(session=session, token=body.token)
    return VerifiedOut(email=email)


@contextmanager
def _token_attempt(session: Session, request: Request) -> Iterator[None]:
    """Try a mailed token: one place of the client address's failure budget is taken before,
    so a burst of guesses tries at most that many; an invalid token keeps its place, anything
    else gives it back."""
    reservation = ratelimit.reserve(account_tokens.token_failure_limit(), client_address(request))
    try:
        yield
    except account_tokens.TokenInvalid:
        session.rollback()
        raise
    except BaseException:
        session.rollback()  # SQLite: the counter needs the write lock this request may hold
        ratelimit.release(reservation)
        raise
    ratelimit.release(reservation)


@router.post(
    "/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AcceptedOut,
    summary="Bevestigingsmail opnieuw sturen",
    description="A new verification mail to my address (earlier links keep working until "
    "they expire). 409 when already verified; at most 5 per hour (429).",
    responses=problem_responses(401, ALREADY_VERIFIED, TOO_MANY_ATTEMPTS),
)
def resend_verification(user: CurrentUser, session: WriteSession) -> AcceptedOut:
    account_tokens.resend_verification(session=session, user=user)
    return AcceptedOut(detail="We sent a new verification mail.")


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AcceptedOut,
    summary="Wachtwoord vergeten",
    description="Always the same 202, whether or not an account uses the address (the mail "
    "is prepared after the answer was sent, so the answer takes as long either way). The mail "
    "carries a single-use link valid 30 minutes (PASSWORD_RESET_MINUTES). Limited per address "
    "asked for and per client address (429, the same for any address).",
    responses=problem_responses(422, TOO_MANY_ATTEMPTS),
)
def password_reset(
    body: PasswordResetIn, request: Request, background: BackgroundTasks
) -> AcceptedOut:
    per_account, per_address = account_tokens.password_reset_limits()
    ratelimit.hit(per_address, client_address(request))
    email = accounts.normalise_email(str(body.email))
    ratelimit.hit(per_account, email)
    background.add_task(account_tokens.request_password_reset, email)
    return AcceptedOut(detail=RESET_ACCEPTED)


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Nieuw wachtwoord instellen",
    description="Set a new password with the token from the reset mail (at least 10 "
    "characters, not a common one). Every session of the account ends, on every server within "
    "seconds; log in again. 400 for an invalid, expired or used token; failures are limited "
    "per client address (429).",
    responses=problem_responses(TOKEN_INVALID, 422, TOO_MANY_ATTEMPTS, HASHING_BUSY),
)
def confirm_password_reset(
    body: PasswordResetConfirmIn, session: WriteSession, request: Request
) -> Response:
    with _token_attempt(session, request):
        account_tokens.confirm_password_reset(
            session=session, token=body.token, new_password=body.new_password
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
