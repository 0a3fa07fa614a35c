"""Accounts: register, log in (OAuth2 password flow), refresh."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm

from app import ratelimit
from app.db import SessionDep
from app.errors import Unauthorized
from app.schemas.common import problem_responses
from app.schemas.users import RefreshIn, RegisterIn, TokenOut, UserPublic
from app.security import hash_password_bounded
from app.services import accounts

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
async def register(body: RegisterIn, session: SessionDep, request: Request) -> UserPublic:
    await run_in_threadpool(ratelimit.hit, ratelimit.registration_limit(), client_address(request))
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
    description="Form fields `username` (your email) and `password`. Used by the Authorize "
    "button of /docs. Unknown email and wrong password get the same answer.",
    responses=problem_responses(401, 422, 429),
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, request: Request
) -> TokenOut:
    """async: a login waiting for a hashing slot holds no thread and no connection."""
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
    return await run_in_threadpool(accounts.log_in, session=session, user_id=user_id)


def client_address(request: Request) -> str:
    """The caller's address: the connecting peer, or behind trusted proxies the address the
    nearest one saw (uvicorn's proxy headers with FORWARDED_ALLOW_IPS; see the README)."""
    return request.client.host if request.client else "unknown"


@router.post(
    "/refresh",
    response_model=TokenOut,
    summary="Nieuwe tokens met een refresh token",
    description="Trade a refresh token for a new pair. Every refresh token works once; "
    "presenting a used one revokes all tokens of that login.",
    responses=problem_responses(401, 422),
)
def refresh(body: RefreshIn, session: SessionDep) -> TokenOut:
    return accounts.rotate_refresh_token(session=session, refresh_token=body.refresh_token)
