"""Password hashing (Argon2 via pwdlib) and the current-user and role dependencies."""

from functools import cache
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app import tokens
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized
from app.models import Role, User

TOKEN_URL = "/api/v1/auth/token"

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    auto_error=False,
    description="Log in with your email address as username (OAuth2 password flow).",
)


@cache
def _hasher() -> PasswordHash:
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


def get_current_user(
    session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    if not token:
        raise Unauthorized()
    try:
        claims = tokens.decode_access_token(token)
    except tokens.TokenInvalid:
        raise Unauthorized() from None
    user = session.get(User, claims.user_id)
    if user is None or user.is_deleted:
        raise Unauthorized()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_participant(user: CurrentUser) -> User:
    if user.role != Role.participant:
        raise Forbidden("Only participants (teachers and professionals) can do this.")
    return user


def require_coordinator(user: CurrentUser) -> User:
    if user.role not in (Role.coordinator, Role.admin):
        raise Forbidden("Only coordinators can do this.")
    return user


def require_admin(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise Forbidden("Only administrators can do this.")
    return user


Participant = Annotated[User, Depends(require_participant)]
Coordinator = Annotated[User, Depends(require_coordinator)]
Admin = Annotated[User, Depends(require_admin)]
