"""Changing my password (and, with the mail flows, my address): re-authenticated changes.

Argon2 runs outside the request's transaction: on SQLite a write request holds the database
write lock from its first statement, and nobody should wait for a hash.
"""

from sqlalchemy import update
from sqlmodel import Session, col

from app import clock, ratelimit
from app.errors import PASSWORD_CHANGED_MEANWHILE, WRONG_PASSWORD, Conflict, Invalid
from app.models import AccountToken, TokenPurpose, User
from app.security import hash_password_in_thread, verify_password_in_thread
from app.services import sessions


def check_current_password(*, session: Session, user: User, password: str, field: str) -> None:
    """Re-authenticate (422 on a wrong password, counted like a failed login: 429 when the
    account's allowance is used up). Ends the session's transaction."""
    per_account, _ = ratelimit.login_limits()
    account = user.email or ""
    stored_hash = user.password_hash
    session.rollback()  # release SQLite's write lock: hashing and the counter come next
    # A place in the account's failure budget before verifying, as a login takes one: a
    # wrong password keeps it, the right one gives it back.
    reservation = ratelimit.reserve(per_account, account)
    try:
        correct = verify_password_in_thread(password, stored_hash)
    except BaseException:
        ratelimit.release(reservation)  # not verified: no guess was checked
        raise
    if not correct:
        raise Invalid(WRONG_PASSWORD.detail, loc=["body", field], code=WRONG_PASSWORD)
    ratelimit.release(reservation)


def change_password(
    *, session: Session, user: User, current_session_id: str, current: str, new: str
) -> list[str]:
    """Set a new password; every other session of mine ends (this one stays). Committed."""
    assert user.id is not None
    previous_hash = user.password_hash
    check_current_password(session=session, user=user, password=current, field="current_password")
    new_hash = hash_password_in_thread(new)
    fresh = session.get(User, user.id)
    if fresh is None or fresh.password_hash != previous_hash:  # changed meanwhile
        raise Conflict(PASSWORD_CHANGED_MEANWHILE)
    set_password(session, fresh, new_hash)
    revoked = sessions.revoke(session, user_id=user.id, keep=current_session_id)
    sessions.commit_revocation(session, revoked)
    return revoked


def set_password(session: Session, user: User, password_hash: str) -> None:
    """Store the hash; reset links sent before no longer work (not committed)."""
    user.password_hash = password_hash
    session.add(user)
    session.execute(
        update(AccountToken)
        .where(
            col(AccountToken.user_id) == user.id,
            col(AccountToken.purpose) == TokenPurpose.password_reset.value,
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=clock.now())
    )
