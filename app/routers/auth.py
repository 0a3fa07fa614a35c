"""Accounts: register, log in (OAuth2 password flow), refresh, log out."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app import ratelimit
from app.db import SessionDep
from app.errors import Unauthorized
from app.schemas.common import problem_responses
from app.schemas.users import RefreshIn, RegisterIn, TokenOut, UserPublic
from app.security import Bearer
from app.services import accounts, sessions

router = APIRouter(prefix="/auth", tags=["account"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    summary="Registreren als docent of professional",
    description="Create a participant account. The email is unique regardless of case; "
    "the password needs at least 10 characters. Staff accounts are never self-registered.",
    responses=problem_responses(409, 422, 429),
)
def register(body: RegisterIn, session: SessionDep, request: Request) -> UserPublic:
    ratelimit.hit(ratelimit.registration_limit(), client_address(request))
    user = accounts.register(session=session, body=body)
    return UserPublic.model_validate(user, from_attributes=True)


@router.post(
    "/token",
    response_model=TokenOut,
    summary="Inloggen (OAuth2 password flow)",
    description="Form fields `username` (your email) and `password`, and optionally "
    "`device_name` (shown in GET /me/sessions). Used by the Authorize button of /docs. Unknown "
    "email and wrong password get the same answer. Every login is a session of its own.",
    responses=problem_responses(401, 422, 429),
)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    request: Request,
    device_name: Annotated[str | None, Form(max_length=100)] = None,
) -> TokenOut:
    per_account, per_address = ratelimit.login_limits()
    ratelimit.hit(per_address, client_address(request))
    account = form.username.strip().lower()
    ratelimit.check(per_account, account)
    try:
        user = accounts.authenticate(session=session, email=form.username, password=form.password)
    except Unauthorized:
        session.rollback()  # release SQLite's write lock before the counter takes it
        ratelimit.hit(per_account, account)  # only failures count against the account
        raise
    accounts.record_login(session=session, user=user)
    return accounts.issue_tokens(
        session=session,
        user=user,
        user_agent=request.headers.get("user-agent"),
        device_name=(device_name or "").strip() or None,
    )


def client_address(request: Request) -> str:
    """The caller's address (behind a proxy: uvicorn's --proxy-headers sets it)."""
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
    responses=problem_responses(401, 422),
)
def refresh(body: RefreshIn, session: SessionDep) -> TokenOut:
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
def logout(bearer: Bearer, session: SessionDep) -> Response:
    revoked = sessions.revoke(session, user_id=bearer.user_id, session_ids=[bearer.session_id])
    sessions.commit_revocation(session, revoked)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
