"""The account flows that go through a mail: verifying the address, resetting a forgotten
password, changing the address.

Each mail carries a single-use, expiring token (256 random bits) of which only the SHA-256 is
stored (`account_tokens`), bound to the address it was sent to. A token is claimed with one
conditional UPDATE (unused and unexpired), so two requests with the same token cannot both
use it. The mail is added to the outbox in the same transaction as the token
(app/services/outbox.py), so neither exists without the other.
"""

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app import clock, ratelimit, tokens
from app.config import get_settings
from app.db import session_scope
from app.errors import (
    ALREADY_VERIFIED,
    EMAIL_TAKEN,
    SAME_EMAIL,
    TOKEN_INVALID,
    BadRequest,
    Conflict,
    Invalid,
)
from app.mail import links
from app.models import AccountToken, TokenPurpose, User
from app.security import hash_password_in_thread
from app.services import credentials, sessions
from app.services.accounts import find_by_email, normalise_email
from app.services.outbox import enqueue_mail


class TokenInvalid(BadRequest):
    """400: the link's token is unknown, expired, already used or for another purpose."""

    def __init__(self) -> None:
        super().__init__(TOKEN_INVALID)


# --- issuing ---------------------------------------------------------------------------------


def _issue(
    session: Session, *, user: User, purpose: TokenPurpose, email: str, life: timedelta
) -> str:
    assert user.id is not None
    token, token_hash = tokens.new_account_token()
    now = clock.now()
    session.add(
        AccountToken(
            token_hash=token_hash,
            user_id=user.id,
            purpose=purpose,
            email=email,
            created_at=now,
            expires_at=now + life,
        )
    )
    return token


def _verification_life() -> timedelta:
    return timedelta(hours=get_settings().email_verification_hours)


def send_verification(session: Session, user: User) -> None:
    """Add a verification token and its mail (not committed)."""
    assert user.email is not None
    token = _issue(
        session,
        user=user,
        purpose=TokenPurpose.verify_email,
        email=user.email,
        life=_verification_life(),
    )
    enqueue_mail(
        session,
        template="verify_email",
        to=user.email,
        language=user.language,
        context={"name": user.name, "link": links.app_link("verify-email", token=token)},
        user_id=user.id,
    )


def resend_verification(*, session: Session, user: User) -> None:
    """A new verification mail (409 when already verified; rate-limited per account)."""
    if user.email_verified:
        raise Conflict(ALREADY_VERIFIED)
    assert user.id is not None
    user_id = user.id
    session.rollback()  # the counter writes in its own transaction (SQLite's write lock)
    limit = ratelimit.Limit("verify-mail", get_settings().verification_mails_per_hour, 3600)
    ratelimit.hit(limit, str(user_id))
    fresh = session.get(User, user_id)
    assert fresh is not None
    send_verification(session, fresh)
    session.commit()


# --- using a token ---------------------------------------------------------------------------


def _claim(session: Session, token: str, purposes: tuple[TokenPurpose, ...]) -> AccountToken:
    """Mark the token used (in the caller's transaction) → its row; TokenInvalid otherwise."""
    now = clock.now()
    row = session.execute(
        update(AccountToken)
        .where(
            col(AccountToken.token_hash) == tokens.hash_account_token(token),
            col(AccountToken.purpose).in_([p.value for p in purposes]),
            col(AccountToken.used_at).is_(None),
            col(AccountToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(AccountToken.user_id), col(AccountToken.purpose), col(AccountToken.email))
    ).first()
    if row is None:
        raise TokenInvalid()
    return AccountToken(user_id=row.user_id, purpose=row.purpose, email=row.email, token_hash="")


def token_failure_limit() -> ratelimit.Limit:
    settings = get_settings()
    return ratelimit.Limit(
        "mail-token-address", settings.token_failures_per_address, settings.login_window_seconds
    )


def _mark_verified(session: Session, user: User) -> None:
    """The address is proven: from now on the participant takes part in matching."""
    if user.email_verified_at is not None:
        return
    # The profile (if any) is re-ranked: app/models/freshness.py stamps it when this flushes.
    user.email_verified_at = clock.now()
    session.add(user)


def verify_email(*, session: Session, token: str) -> str:
    """Use a verification link (registration, or an address change) → the verified address."""
    claimed = _claim(session, token, (TokenPurpose.verify_email, TokenPurpose.email_change))
    user = session.get(User, claimed.user_id)
    if user is None or user.is_deleted:
        raise TokenInvalid()
    if claimed.purpose == TokenPurpose.verify_email.value:
        if user.email != claimed.email:  # the address changed since this mail was sent
            raise TokenInvalid()
        _mark_verified(session, user)
        session.commit()
        return claimed.email
    return _complete_email_change(session, user, claimed.email)


def _complete_email_change(session: Session, user: User, new_email: str) -> str:
    other = find_by_email(session, new_email)
    if other is not None and other.id != user.id:
        raise Conflict(EMAIL_TAKEN)
    old_email = user.email
    user.email = new_email
    _mark_verified(session, user)
    session.add(user)
    _expire_tokens(session, user, (TokenPurpose.email_change, TokenPurpose.verify_email))
    if old_email is not None and old_email != new_email:
        enqueue_mail(
            session,
            template="email_changed_notice",
            to=old_email,
            language=user.language,
            context={"name": user.name, "link": links.app_link("forgot-password")},
            user_id=user.id,
        )
    try:
        session.commit()
    except IntegrityError:  # someone registered the address a moment ago
        session.rollback()
        raise Conflict(EMAIL_TAKEN) from None
    return new_email


def _expire_tokens(session: Session, user: User, purposes: tuple[TokenPurpose, ...]) -> None:
    session.execute(
        update(AccountToken)
        .where(
            col(AccountToken.user_id) == user.id,
            col(AccountToken.purpose).in_([p.value for p in purposes]),
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=clock.now())
    )


# --- password reset --------------------------------------------------------------------------


def password_reset_limits() -> tuple[ratelimit.Limit, ratelimit.Limit]:
    settings = get_settings()
    return (
        ratelimit.Limit("reset-account", settings.password_resets_per_account, 3600),
        ratelimit.Limit("reset-address", settings.password_resets_per_address, 3600),
    )


def request_password_reset(email: str) -> None:
    """Mail a reset link if an account has this address; nothing otherwise.

    Runs after the answer was sent (a background task), with a session of its own: the
    answer is the same, and as quick, whether or not the account exists.
    """
    with session_scope(write=True) as session:
        user = find_by_email(session, email)
        if user is None or user.is_deleted or user.email is None:
            return
        life = timedelta(minutes=get_settings().password_reset_minutes)
        token = _issue(
            session, user=user, purpose=TokenPurpose.password_reset, email=user.email, life=life
        )
        enqueue_mail(
            session,
            template="password_reset",
            to=user.email,
            language=user.language,
            context={"name": user.name, "link": links.app_link("reset-password", token=token)},
            user_id=user.id,
        )
        session.commit()


def confirm_password_reset(*, session: Session, token: str, new_password: str) -> None:
    """Set the password with a reset link; every session of the account ends."""
    token_hash = tokens.hash_account_token(token)
    found = session.get(AccountToken, token_hash)
    now = clock.now()
    if (
        found is None
        or found.purpose != TokenPurpose.password_reset.value
        or found.used_at is not None
        or clock.as_utc(found.expires_at) <= now
    ):
        raise TokenInvalid()
    session.rollback()  # no transaction (SQLite: no write lock) while Argon2 runs
    new_hash = hash_password_in_thread(new_password)
    claimed = _claim(session, token, (TokenPurpose.password_reset,))
    user = session.get(User, claimed.user_id)
    if user is None or user.is_deleted or user.email != claimed.email:
        raise TokenInvalid()
    credentials.set_password(session, user, new_hash)  # other reset links stop working too
    _mark_verified(session, user)  # the link proved the mailbox
    assert user.id is not None and user.email is not None
    revoked = sessions.revoke(session, user_id=user.id)
    enqueue_mail(
        session,
        template="password_changed",
        to=user.email,
        language=user.language,
        context={"name": user.name, "link": links.app_link("forgot-password")},
        user_id=user.id,
    )
    sessions.commit_revocation(session, revoked)


# --- changing the address --------------------------------------------------------------------


def request_email_change(*, session: Session, user: User, new_email: str, password: str) -> None:
    """Mail a confirmation link to the new address; the change takes effect when it is used.

    Needs the current password. The old address is told once the change took effect.
    """
    assert user.id is not None
    user_id = user.id
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise Invalid(SAME_EMAIL.detail, loc=["body", "new_email"], code=SAME_EMAIL)
    credentials.check_current_password(
        session=session, user=user, password=password, field="password"
    )
    fresh = session.get(User, user_id)
    assert fresh is not None
    taken = find_by_email(session, new_email)
    if taken is not None:
        raise Conflict(EMAIL_TAKEN)
    _expire_tokens(session, fresh, (TokenPurpose.email_change,))  # only the newest link works
    token = _issue(
        session,
        user=fresh,
        purpose=TokenPurpose.email_change,
        email=new_email,
        life=_verification_life(),
    )
    enqueue_mail(
        session,
        template="email_change_verify",
        to=new_email,
        language=fresh.language,
        context={
            "name": fresh.name,
            "new_email": new_email,
            "link": links.app_link("verify-email", token=token),
        },
        user_id=user_id,
    )
    session.commit()
