"""Password hashing (Argon2 via pwdlib) and the current-user and role dependencies.

Two ways to know who calls: `CurrentUser` (and the role aliases) loads the user on every
request; `Bearer` only checks the token's signature and expiry, for the hot endpoints (swipe,
feed) whose service reads the caller's row in a query it runs anyway and applies
`check_participant` to it, so a deleted account's token still gets 401 without an extra
round trip.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app import tokens
from app.config import get_settings
from app.db import SessionDep
from app.errors import ADMINS_ONLY, COORDINATORS_ONLY, PARTICIPANTS_ONLY, Forbidden, Unauthorized
from app.models import Role, User

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


@dataclass(frozen=True, slots=True)
class BearerClaims:
    """A validly signed, unexpired access token; whether its user still exists is not checked."""

    user_id: int


async def get_bearer(token: Annotated[str | None, Depends(oauth2_scheme)]) -> BearerClaims:
    # async on purpose: no I/O here, so no hop through the threadpool.
    if not token:
        raise Unauthorized()
    try:
        claims = tokens.decode_access_token(token)
    except tokens.TokenInvalid:
        raise Unauthorized() from None
    return BearerClaims(user_id=claims.user_id)


Bearer = Annotated[BearerClaims, Depends(get_bearer)]


def check_participant(*, role: str | None, deleted_at: datetime | None) -> None:
    """What `require_participant` checks, on a caller row a service read itself (None: gone)."""
    if role is None or deleted_at is not None:
        raise Unauthorized()
    if role != Role.participant:
        raise Forbidden(PARTICIPANTS_ONLY)


def get_current_user(session: SessionDep, bearer: Bearer) -> User:
    user = session.get(User, bearer.user_id)
    if user is None or user.is_deleted:
        raise Unauthorized()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_participant(user: CurrentUser) -> User:
    if user.role != Role.participant:
        raise Forbidden(PARTICIPANTS_ONLY)
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
Coordinator = Annotated[User, Depends(require_coordinator)]
Admin = Annotated[User, Depends(require_admin)]
