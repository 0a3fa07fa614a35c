"""Accounts: registration, login, refresh-token rotation, export and erasure (AVG)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app import clock, tokens
from app.config import get_settings
from app.db import begin_read, end_transaction, lock_users
from app.errors import BAD_CREDENTIALS, EMAIL_TAKEN, REFRESH_INVALID, Conflict, Unauthorized
from app.models import (
    FORMER_PARTICIPANT,
    AccountToken,
    Block,
    CoordinatorRegion,
    DailyLikes,
    LoginSession,
    Match,
    Notification,
    NotificationSetting,
    OutboxMail,
    Profile,
    PushSubscription,
    RefreshToken,
    Role,
    Side,
    Swipe,
    User,
)
from app.schemas.users import RegisterIn, TokenOut
from app.security import verify_password_bounded
from app.services import events, messages, outbox, photos, push, reports, sessions, trajectory
from app.services import matches as match_service
from app.services.mail_preferences import mail_choices


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(col(User.email) == normalise_email(email)))


def create_user(
    *,
    session: Session,
    email: str,
    password_hash: str,
    name: str,
    role: Role,
    side: Side | None = None,
    regions: list[str] | None = None,
    before_commit: Callable[[Session, User], None] | None = None,
) -> User:
    """Create an account (participants register; staff come from the CLI or an admin).

    The caller hashes the password before (`security.hash_password_bounded` in a request),
    outside any transaction: hashing here would hold the connection (on SQLite the write
    lock) for the whole hash.

    Staff accounts count as verified (an administrator vouches for the address); a
    participant's address is verified through the mail sent at registration.
    """
    if find_by_email(session, email) is not None:
        raise Conflict(EMAIL_TAKEN)
    user = User(
        email=normalise_email(email),
        password_hash=password_hash,
        name=name.strip(),
        role=role,
        side=side,
        email_verified_at=None if role == Role.participant else clock.now(),
    )
    session.add(user)
    try:
        session.flush()
        assert user.id is not None
        for region in sorted(set(regions or [])):
            session.add(CoordinatorRegion(user_id=user.id, region=region))
        if before_commit is not None:
            before_commit(session, user)
        session.commit()
    except IntegrityError:  # a concurrent registration with the same email won
        session.rollback()
        raise Conflict(EMAIL_TAKEN) from None
    session.refresh(user)
    return user


def register(*, session: Session, body: RegisterIn, password_hash: str) -> User:
    """Self-registration: always a participant on the chosen side, with a verification mail
    (in the same transaction)."""
    from app.services.account_tokens import send_verification  # it imports this module

    return create_user(
        session=session,
        email=str(body.email),
        password_hash=password_hash,
        name=body.name,
        role=Role.participant,
        side=body.side,
        before_commit=send_verification,
    )


def record_login(*, session: Session, user: User) -> None:
    """Remember when the account was last used (for the retention of inactive accounts)."""
    user.last_login_at = clock.now()
    session.add(user)


def stored_credentials(*, session: Session, email: str) -> tuple[int | None, str | None]:
    """(user id, password hash) of a live account with this email, else (None, None).

    Ends its (read) transaction before returning: the caller hashes next, and must not hold
    a connection meanwhile.
    """
    begin_read(session)
    user = find_by_email(session, email)
    found = (user.id, user.password_hash) if user is not None and not user.is_deleted else None
    end_transaction(session)
    return found or (None, None)


async def authenticate(*, session: Session, email: str, password: str) -> int:
    """The id of the user with this email and password; the same answer and cost for any
    failure. Holds no database connection while the password is verified."""
    user_id, password_hash = await run_in_threadpool(
        stored_credentials, session=session, email=email
    )
    if not await verify_password_bounded(password, password_hash) or user_id is None:
        raise Unauthorized(BAD_CREDENTIALS)
    return user_id


def log_in(
    *,
    session: Session,
    user_id: int,
    user_agent: str | None = None,
    device_name: str | None = None,
) -> TokenOut:
    """A new session for a user whose password was just verified (gone meanwhile: 401)."""
    user = session.get(User, user_id)
    if user is None or user.is_deleted:
        raise Unauthorized(BAD_CREDENTIALS)
    record_login(session=session, user=user)
    return issue_tokens(session=session, user=user, user_agent=user_agent, device_name=device_name)


def issue_tokens(
    *,
    session: Session,
    user: User,
    user_agent: str | None = None,
    device_name: str | None = None,
) -> TokenOut:
    """A new login session with its access token and first refresh token (committed)."""
    assert user.id is not None
    now = clock.now()
    login = LoginSession(
        id=tokens.new_session_id(),
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        user_agent=(user_agent or None) and user_agent[:255],
        device_name=device_name,
    )
    session.add(login)
    refresh, refresh_hash = tokens.new_refresh_token()
    session.add(_refresh_row(refresh_hash, user.id, login.id, now))
    session.commit()
    access, lifetime = tokens.create_access_token(user.id, login.id)
    return TokenOut(access_token=access, refresh_token=refresh, expires_in=lifetime)


def _refresh_row(token_hash: str, user_id: int, session_id: str, now: datetime) -> RefreshToken:
    return RefreshToken(
        token_hash=token_hash,
        user_id=user_id,
        session_id=session_id,
        created_at=now,
        expires_at=now + timedelta(days=get_settings().refresh_token_days),
    )


def rotate_refresh_token(*, session: Session, refresh_token: str) -> TokenOut:
    """Trade a refresh token for a new pair; each refresh token works once.

    Its successor is derived from it (`tokens.successor_refresh_token`), so the same token
    presented again within REFRESH_GRACE_SECONDS of its use, while that successor is still
    unused, gets the same refresh token again (and a fresh access token of the same login):
    two requests racing, or a retry after a lost answer, do not log anyone out. Presented
    again later, or after its successor was used, it has leaked: the whole login is revoked,
    so the thief's copy stops working too, access tokens included.
    """
    token_hash = tokens.hash_refresh_token(refresh_token)
    successor, successor_hash = tokens.successor_refresh_token(refresh_token)
    now = clock.now()
    claimed = session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.token_hash) == token_hash,
            col(RefreshToken.used_at).is_(None),
            col(RefreshToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(RefreshToken.user_id), col(RefreshToken.session_id))
    ).first()
    if claimed is None:
        stored = session.get(RefreshToken, token_hash)
        if stored is None or stored.used_at is None:  # unknown, or expired unused
            raise Unauthorized(REFRESH_INVALID)
        if _within_grace(session, stored, successor_hash, now):
            user = session.get(User, stored.user_id)
            if user is None or user.is_deleted:
                raise Unauthorized(REFRESH_INVALID)
            access, lifetime = tokens.create_access_token(stored.user_id, stored.session_id)
            session.rollback()  # nothing was written
            return TokenOut(access_token=access, refresh_token=successor, expires_in=lifetime)
        revoked = sessions.revoke(session, user_id=stored.user_id, session_ids=[stored.session_id])
        sessions.commit_revocation(session, revoked)
        raise Unauthorized(REFRESH_INVALID)
    user = session.get(User, claimed.user_id)
    login = session.get(LoginSession, claimed.session_id)
    if user is None or user.is_deleted or login is None or login.revoked_at is not None:
        session.rollback()
        raise Unauthorized(REFRESH_INVALID)
    login.last_used_at = now
    session.add(_refresh_row(successor_hash, claimed.user_id, claimed.session_id, now))
    session.commit()
    access, lifetime = tokens.create_access_token(claimed.user_id, claimed.session_id)
    return TokenOut(access_token=access, refresh_token=successor, expires_in=lifetime)


def _within_grace(session: Session, used: RefreshToken, successor_hash: str, now: datetime) -> bool:
    """A used token presented again soon, by the same login, whose successor is still unused."""
    assert used.used_at is not None
    grace = timedelta(seconds=get_settings().refresh_grace_seconds)
    if clock.as_utc(used.used_at) < now - grace:
        return False
    following = session.get(RefreshToken, successor_hash)
    return (
        following is not None
        and following.session_id == used.session_id
        and following.used_at is None
        and clock.as_utc(following.expires_at) > now
    )


def _iso(moment: datetime) -> str:
    """ISO 8601 in UTC with its offset (SQLite hands back naive datetimes)."""
    return clock.as_utc(moment).isoformat()


def _profile_export(profile: Profile) -> dict[str, Any]:
    data = profile.model_dump(mode="json")
    data["created_at"] = _iso(profile.created_at)
    data["updated_at"] = _iso(profile.updated_at)
    data["photo"] = photos.photo_of(profile)
    return data


def export_data(*, session: Session, user: User) -> dict[str, Any]:
    """Everything stored about me, and nothing personal about anyone else."""
    from app.views import match_views

    assert user.id is not None
    profile = session.get(Profile, user.id)
    matches = session.scalars(select(Match).where(match_service.involving(user.id))).all()
    my_matches = []
    for match, out in zip(matches, match_views(session, list(matches), user.id), strict=True):
        view = out.model_dump(mode="json")
        view["partner"] = {"id": view["partner"]["id"], "name": view["partner"]["name"]}
        if match.ended_by_id == user.id:
            view["my_exit"] = {"reason": match.exit_reason, "note": match.exit_note}
        my_matches.append(view)
    return {
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "side": user.side,
            "created_at": _iso(user.created_at),
            "language": user.language,
            "email_verified": user.email_verified,
        },
        "sessions": [
            {
                "id": s.id,
                "created_at": _iso(s.created_at),
                "last_used_at": _iso(s.last_used_at),
                "user_agent": s.user_agent,
                "device_name": s.device_name,
            }
            for s in session.scalars(
                select(LoginSession).where(
                    col(LoginSession.user_id) == user.id, col(LoginSession.revoked_at).is_(None)
                )
            )
        ],
        "notification_settings": {"mail": mail_choices(session, user.id)},
        "mails": [
            {
                "template": m.template,
                "to": m.to_address,
                "status": m.status,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at) if m.sent_at else None,
            }
            for m in session.scalars(
                select(OutboxMail)
                .where(col(OutboxMail.user_id) == user.id)
                .order_by(col(OutboxMail.id))
            )
        ],
        "push_subscriptions": push.my_endpoints(session, user_id=user.id),
        "profile": _profile_export(profile) if profile else None,
        "swipes": [
            {"target_id": s.target_id, "decision": s.decision, "created_at": _iso(s.created_at)}
            for s in session.scalars(select(Swipe).where(col(Swipe.swiper_id) == user.id))
        ],
        # Likes made per day, undone ones included (the daily limit; kept for today only).
        "likes_per_day": [
            {"day": d.day.isoformat(), "likes": d.likes}
            for d in session.scalars(select(DailyLikes).where(col(DailyLikes.user_id) == user.id))
        ],
        "blocks": [
            {"user_id": b.blocked_id, "created_at": _iso(b.created_at)}
            for b in session.scalars(select(Block).where(col(Block.blocker_id) == user.id))
        ],
        "matches": my_matches,
        **trajectory.export_for(session, user.id),  # meetings, my own evaluations
        **messages.export_for(session, user.id),  # my own messages, how far I read
        "reports": reports.export_for(session, user.id),  # reports I filed
        "notifications": [
            {
                "id": n.id,
                "type": n.type,
                "created_at": _iso(n.created_at),
                "data": n.data,
                "read": n.read_at is not None,
            }
            for n in session.scalars(
                select(Notification).where(col(Notification.user_id) == user.id)
            )
        ],
    }


def erase_account(*, session: Session, user: User) -> None:
    """Erase my personal data (AVG art. 17); partners keep a 'former participant' history.

    Under my row lock, which a blind match or a like that starts a match also takes: either
    it came first and its match is ended here, or it comes after and finds me erased. Each
    ongoing match is ended only if it still is (`end_match` re-reads it under its lock), so a
    partner's exit a moment ago keeps its record.
    """
    assert user.id is not None
    lock_users(session, [user.id])
    session.refresh(user)
    if user.deleted_at is not None:  # a concurrent erasure came first
        return
    ongoing = session.scalars(
        select(Match).where(
            match_service.involving(user.id), match_service.ongoing_clause(clock.now())
        )
    ).all()
    for match in ongoing:
        match_service.end_match(
            session=session, match=match, by=user, reason="account_deleted", note=None
        )
    photo_key = session.scalar(
        select(col(Profile.photo_key)).where(col(Profile.user_id) == user.id)
    )
    session.execute(delete(Profile).where(col(Profile.user_id) == user.id))
    session.execute(
        delete(Swipe).where(or_(col(Swipe.swiper_id) == user.id, col(Swipe.target_id) == user.id))
    )
    session.execute(delete(DailyLikes).where(col(DailyLikes.user_id) == user.id))
    session.execute(delete(RefreshToken).where(col(RefreshToken.user_id) == user.id))
    # The sessions go too (user agents, device names); their access tokens already fail
    # everywhere because the account is marked erased.
    session.execute(delete(LoginSession).where(col(LoginSession.user_id) == user.id))
    session.execute(delete(AccountToken).where(col(AccountToken.user_id) == user.id))
    session.execute(delete(Notification).where(col(Notification.user_id) == user.id))
    session.execute(delete(CoordinatorRegion).where(col(CoordinatorRegion.user_id) == user.id))
    partner_ids: set[int] = set()
    match_ids: set[int] = set()
    for match in session.scalars(select(Match).where(match_service.involving(user.id))):
        partner_ids.add(match.partner_of(user.id))
        match_ids.add(match.id or 0)
        if match.ended_by_id == user.id:
            match.exit_note = None  # my own words go too
    _forget_name_in_notifications(session, user_id=user.id, recipients=partner_ids)
    outbox.forget_user(session, user_id=user.id, partner_ids=partner_ids, name=FORMER_PARTICIPANT)
    events.forget_user(session, user_id=user.id, partner_ids=partner_ids, name=FORMER_PARTICIPANT)
    push.forget_user(session, match_ids=match_ids, partner_ids=partner_ids, name=FORMER_PARTICIPANT)
    session.execute(delete(PushSubscription).where(col(PushSubscription.user_id) == user.id))
    session.execute(delete(NotificationSetting).where(col(NotificationSetting.user_id) == user.id))
    trajectory.erase_for(session, user.id)  # my evaluation answers and meeting notes
    messages.erase_for(session, user.id)  # the text of my messages; my read watermarks
    reports.erase_for(session, user.id)  # my notes in reports I filed
    user.email = None
    user.password_hash = None
    user.name = FORMER_PARTICIPANT
    user.deleted_at = clock.now()
    session.add(user)
    session.commit()
    if photo_key is not None:
        photos.discard(session, photo_key)  # the images go once nothing refers to them


def _forget_name_in_notifications(session: Session, *, user_id: int, recipients: set[int]) -> None:
    """Partners' notifications that named me (e.g. match_created) now say 'former participant'."""
    if not recipients:
        return
    notes = session.scalars(
        select(Notification).where(col(Notification.user_id).in_(sorted(recipients)))
    )
    for note in notes:
        if note.data.get("partner_id") == user_id and "partner_name" in note.data:
            note.data = note.data | {"partner_name": FORMER_PARTICIPANT}  # new dict: marks dirty
            session.add(note)
