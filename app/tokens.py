"""All token code: signed access tokens (JWT via python-jose), opaque refresh tokens, and the
opaque single-use tokens sent by mail.

The accepted algorithm is hard-coded (HS256), `exp`, `iat`, `sub` and `sid` (the login
session) are required, and the token type is checked, so `alg: none`, a refresh token used as
an access token, or a token without expiry are all refused.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from jose import JWTError, jwk, jwt
from jose.backends.base import Key

from app import clock
from app.config import get_settings

ALGORITHM = "HS256"
ACCESS = "access"


class TokenInvalid(Exception):
    """The token is missing, malformed, badly signed, expired or of the wrong kind."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    session_id: str
    issued_at: datetime


def create_access_token(user_id: int, session_id: str) -> tuple[str, int]:
    """A signed access token for this user's login session and its lifetime in seconds."""
    settings = get_settings()
    issued = clock.now()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "type": ACCESS,
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "jti": secrets.token_hex(8),
    }
    token = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)
    return token, int(lifetime.total_seconds())


def decode_access_token(token: str) -> AccessClaims:
    claims, expires = _verified(token, get_settings().secret_key.get_secret_value())
    # python-jose checks `exp` against the wall clock; check it against ours too (on every
    # call, cached or not), so a moved test clock and the real one agree.
    if expires <= int(clock.now().timestamp()):
        raise TokenInvalid("expired")
    return claims


@lru_cache(maxsize=4)
def _hmac_key(secret: str) -> Key:
    """The secret as python-jose's HS256 key object, built once per secret.

    Given a string, python-jose tries it as JSON and as a PEM/SSH key and builds a key object
    on every verification; given this object it only checks the signature with it.
    """
    return jwk.construct(secret, ALGORITHM)


@lru_cache(maxsize=8192)
def _verified(token: str, secret: str) -> tuple[AccessClaims, int]:
    """Signature, algorithm, type and required claims: pure in (token, secret), so cached.

    Verifying an HS256 token costs ~70 µs; an API process sees the same few thousand tokens
    again and again. A refused token raises, and exceptions are not cached.
    """
    try:
        claims = jwt.decode(
            token,
            _hmac_key(secret),
            algorithms=[ALGORITHM],
            options={"require_exp": True, "require_iat": True, "require_sub": True},
        )
        if claims.get("type") != ACCESS:
            raise TokenInvalid("not an access token")
        if int(claims["exp"]) <= int(clock.now().timestamp()):
            raise TokenInvalid("expired")
        session_id = claims["sid"]
        if not isinstance(session_id, str) or not session_id:
            raise TokenInvalid("no session")
        access = AccessClaims(
            user_id=int(claims["sub"]),
            session_id=session_id,
            issued_at=datetime.fromtimestamp(int(claims["iat"])),
        )
        return access, int(claims["exp"])
    except (JWTError, KeyError, ValueError, TypeError) as exc:
        raise TokenInvalid(str(exc)) from exc


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque refresh token and the hash under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def successor_refresh_token(token: str) -> tuple[str, str]:
    """The refresh token that replaces this one when it is used, and its hash.

    Derived, not random: HMAC-SHA256 of the used token under a key derived from SECRET_KEY.
    The same token presented again (a retry, two requests racing) yields the same successor,
    so the server can hand it out again without ever storing it in a form that could be
    handed out: only the hashes are stored, and without the secret nobody can derive it.
    """
    digest = hmac.new(_successor_key(), token.encode(), hashlib.sha256).digest()
    successor = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return successor, hash_refresh_token(successor)


def _successor_key() -> bytes:
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, b"jobtinder refresh-token successor", hashlib.sha256).digest()


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_id() -> str:
    return secrets.token_hex(16)


def new_account_token() -> tuple[str, str]:
    """A single-use token for a mail (verification, reset) and the hash it is stored under.

    256 random bits: guessing one is hopeless; the endpoints that take them are rate-limited
    all the same.
    """
    token = secrets.token_urlsafe(32)
    return token, hash_account_token(token)


def hash_account_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
