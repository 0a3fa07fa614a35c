"""Password hashing (Argon2 via pwdlib) and the current-user and role dependencies.

Two ways to know who calls: `CurrentUser` (and the role aliases) loads the user on every
request; `Bearer` only checks the token's signature, expiry and login session (against the
per-process revocation set, app/services/revocation.py: no query), for the hot endpoints
(swipe, feed) whose service reads the caller's row in a query it runs anyway and applies
`check_participant` to it, so a deleted account's token still gets 401 without an extra
round trip.
"""

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from anyio import from_thread
from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app import tokens
from app.config import get_settings
from app.db import RequestSession
from app.errors import (
    ADMINS_ONLY,
    COORDINATORS_ONLY,
    EMAIL_NOT_VERIFIED,
    HASHING_BUSY,
    PARTICIPANTS_ONLY,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from app.models import Match, Role, User
from app.pagination import id_in_range
from app.services.revocation import revocations

TOKEN_URL = "/api/v1/auth/token"

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    auto_error=False,
    description="Log in with your email address as username (OAuth2 password flow).",
)


# Argon2 with minimal cost; only ever chosen by PASSWORD_HASH_PROFILE=fast, which the settings
# refuse outside ENVIRONMENT=test. Hashes made with it verify under production parameters too
# (the parameters are stored in the hash), so test users keep working either way.
_FAST_ARGON2: dict[str, Any] = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@cache
def _hasher() -> PasswordHash:
    if get_settings().password_hash_profile == "fast":
        return PasswordHash((Argon2Hasher(**_FAST_ARGON2),))
    return PasswordHash((Argon2Hasher(),))


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-password-but-costs-the-same")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash, spend the same time and say no (no user enumeration)."""
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False
    return _hasher().verify(password, password_hash)


# --- Hashing in a request: bounded per process, never while holding a database connection ---
#
# An Argon2 hash takes 64 MiB and every core for a noticeable time. A burst of logins that all
# hashed at once would exhaust memory and CPU, and, when each held a pooled connection while
# hashing, the pool too (everyone else's requests then timed out with 503). So requests hash
# through `hash_password_bounded` / `verify_password_bounded`: at most
# PASSWORD_HASH_CONCURRENCY at a time per process; the others wait their turn on the event
# loop (holding no thread and no connection) for up to PASSWORD_HASH_WAIT_SECONDS, then get
# 429 with Retry-After.
# Callers must not hold a connection or transaction across these calls.

_hash_slots: "WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = WeakKeyDictionary()


class HashingBusy(TooManyRequests):
    """429: every hashing slot of this process stayed taken for PASSWORD_HASH_WAIT_SECONDS."""

    def __init__(self) -> None:
        super().__init__(math.ceil(get_settings().password_hash_wait_seconds), HASHING_BUSY)


def _slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()  # one per event loop (tests run several, one by one)
    slots = _hash_slots.get(loop)
    if slots is None:
        slots = _hash_slots[loop] = asyncio.Semaphore(get_settings().password_hash_concurrency)
    return slots


async def _bounded(function: Any, *args: Any) -> Any:
    slots = _slots()
    try:
        async with asyncio.timeout(get_settings().password_hash_wait_seconds):
            await slots.acquire()
    except TimeoutError:
        raise HashingBusy() from None
    try:
        return await run_in_threadpool(function, *args)
    finally:
        slots.release()


_admission_slots: "WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    WeakKeyDictionary()
)


@asynccontextmanager
async def password_request_admission() -> AsyncIterator[None]:
    """Admit a login or registration to its database steps and hash (same bound and wait as
    the hashing slots, 429 after the wait). Each such request takes several short
    connections in turn (counters, credentials, the session); admitting only as many as can
    hash at once keeps a burst of them from crowding the pool, so unrelated requests keep
    getting connections. Taken before the hashing slot, never the other way round."""
    loop = asyncio.get_running_loop()
    slots = _admission_slots.get(loop)
    if slots is None:
        slots = _admission_slots[loop] = asyncio.Semaphore(get_settings().password_hash_concurrency)
    try:
        async with asyncio.timeout(get_settings().password_hash_wait_seconds):
            await slots.acquire()
    except TimeoutError:
        raise HashingBusy() from None
    try:
        yield
    finally:
        slots.release()


async def hash_password_bounded(password: str) -> str:
    """`hash_password` for requests: waits for a free hashing slot (429 after a while)."""
    return str(await _bounded(hash_password, password))


async def verify_password_bounded(password: str, password_hash: str | None) -> bool:
    """`verify_password` for requests: waits for a free hashing slot (429 after a while)."""
    return bool(await _bounded(verify_password, password, password_hash))


def hash_password_in_thread(password: str) -> str:
    """`hash_password_bounded` from a synchronous route (a threadpool thread): the same
    per-process slots. Outside a request's worker thread (CLI, scripts) it hashes directly."""
    try:
        return str(from_thread.run(hash_password_bounded, password))
    except RuntimeError:  # not in an AnyIO worker thread
        return hash_password(password)


def verify_password_in_thread(password: str, password_hash: str | None) -> bool:
    """`verify_password_bounded` from a synchronous route (see `hash_password_in_thread`)."""
    try:
        return bool(from_thread.run(verify_password_bounded, password, password_hash))
    except RuntimeError:  # not in an AnyIO worker thread
        return verify_password(password, password_hash)


@dataclass(frozen=True, slots=True)
class BearerClaims:
    """A validly signed, unexpired access token of a login session not revoked (as this
    process knows, at most REVOCATION_REFRESH_SECONDS late); whether its user still exists is
    not checked."""

    user_id: int
    session_id: str


async def get_bearer(token: Annotated[str | None, Depends(oauth2_scheme)]) -> BearerClaims:
    # async on purpose: no I/O here, so no hop through the threadpool — except once every
    # REVOCATION_REFRESH_SECONDS per process, to bring the revocation set up to date.
    if not token:
        raise Unauthorized()
    try:
        claims = tokens.decode_access_token(token)
    except tokens.TokenInvalid:
        raise Unauthorized() from None
    if revocations.due():
        await run_in_threadpool(revocations.refresh)
    if revocations.is_revoked(claims.session_id):
        raise Unauthorized()
    return BearerClaims(user_id=claims.user_id, session_id=claims.session_id)


Bearer = Annotated[BearerClaims, Depends(get_bearer)]


def check_participant(
    *,
    role: str | None,
    deleted_at: datetime | None,
    email_verified_at: datetime | None = None,
    require_verified: bool = True,
) -> None:
    """What `require_verified_participant` checks, on a caller row a service read itself
    (role None: gone). `require_verified=False` for what unverified participants may do too
    (edit their profile, block)."""
    if role is None or deleted_at is not None:
        raise Unauthorized()
    if role != Role.participant:
        raise Forbidden(PARTICIPANTS_ONLY)
    if require_verified and email_verified_at is None:
        raise Forbidden(EMAIL_NOT_VERIFIED)


def get_current_user(session: RequestSession, bearer: Bearer) -> User:
    user = session.get(User, bearer.user_id)
    if user is None or user.is_deleted:
        raise Unauthorized()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_participant(user: CurrentUser) -> User:
    if user.role != Role.participant:
        raise Forbidden(PARTICIPANTS_ONLY)
    return user


def require_verified_participant(user: CurrentUser) -> User:
    """A participant whose email address is verified: the one who may take part in matching."""
    check_participant(
        role=user.role, deleted_at=user.deleted_at, email_verified_at=user.email_verified_at
    )
    return user


def require_coordinator(user: CurrentUser) -> User:
    if user.role not in (Role.coordinator, Role.admin):
        raise Forbidden(COORDINATORS_ONLY)
    return user


def require_admin(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise Forbidden(ADMINS_ONLY)
    return user


Participant = Annotated[User, Depends(require_participant)]
VerifiedParticipant = Annotated[User, Depends(require_verified_participant)]
Coordinator = Annotated[User, Depends(require_coordinator)]
Admin = Annotated[User, Depends(require_admin)]


def owned_match(match_id: int, user: CurrentUser, session: RequestSession) -> Match:
    """The match if I am one of its partners; 404 otherwise (never reveal that it exists)."""
    match = session.get(Match, id_in_range(match_id))
    if match is None or user.id is None or not match.involves(user.id):
        raise NotFound()
    return match


OwnedMatch = Annotated[Match, Depends(owned_match)]
