"""Accounts: register, log in (OAuth2 password flow), refresh."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from app import ratelimit
from app.db import SessionDep
from app.errors import (
    BAD_CREDENTIALS,
    EMAIL_TAKEN,
    REFRESH_INVALID,
    TOO_MANY_ATTEMPTS,
    Unauthorized,
)
from app.schemas.common import problem_responses
from app.schemas.users import RefreshIn, RegisterIn, TokenOut, UserPublic
from app.services import accounts

router = APIRouter(prefix="/auth", tags=["account"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    summary="Registreren als docent of professional",
    description="Create a participant account. The email is unique regardless of case; "
    "the password needs at least 10 characters. Staff accounts are never self-registered.",
    responses=problem_responses(EMAIL_TAKEN, 422, TOO_MANY_ATTEMPTS),
)
def register(body: RegisterIn, session: SessionDep, request: Request) -> UserPublic:
    ratelimit.hit(ratelimit.registration_limit(), client_address(request))
    user = accounts.register(session=session, body=body)
    return UserPublic.model_validate(user, from_attributes=True)


@router.post(
    "/token",
    response_model=TokenOut,
    summary="Inloggen (OAuth2 password flow)",
    description="Form fields `username` (your email) and `password`. Used by the Authorize "
    "button of /docs. Unknown email and wrong password get the same answer.",
    responses=problem_responses(BAD_CREDENTIALS, 422, TOO_MANY_ATTEMPTS),
)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, request: Request
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
    return accounts.issue_tokens(session=session, user=user)


def client_address(request: Request) -> str:
    """The caller's address (behind a proxy: uvicorn's --proxy-headers sets it)."""
    return request.client.host if request.client else "unknown"


@router.post(
    "/refresh",
    response_model=TokenOut,
    summary="Nieuwe tokens met een refresh token",
    description="Trade a refresh token for a new pair. Every refresh token works once; "
    "presenting a used one revokes all tokens of that login.",
    responses=problem_responses(REFRESH_INVALID, 422),
)
def refresh(body: RefreshIn, session: SessionDep) -> TokenOut:
    return accounts.rotate_refresh_token(session=session, refresh_token=body.refresh_token)
