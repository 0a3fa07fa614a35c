"""Accounts: registration, login, refresh-token rotation, export and erasure (AVG)."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app import clock, tokens
from app.config import get_settings
from app.db import lock_users
from app.errors import BAD_CREDENTIALS, EMAIL_TAKEN, REFRESH_INVALID, Conflict, Unauthorized
from app.models import (
    FORMER_PARTICIPANT,
    Block,
    CoordinatorRegion,
    Match,
    Notification,
    Profile,
    RefreshToken,
    Role,
    Swipe,
    User,
)
from app.schemas.users import RegisterIn, TokenOut
from app.security import hash_password, verify_password
from app.services import matches as match_service
from app.services import photos, trajectory
from app.services.feature_store import bump_version


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(col(User.email) == normalise_email(email)))


def create_user(
    *,
    session: Session,
    email: str,
    password: str,
    name: str,
    role: Role,
    side: str | None = None,
    regions: list[str] | None = None,
) -> User:
    """Create an account (participants register; staff come from the CLI or an admin)."""
    if find_by_email(session, email) is not None:
        raise Conflict(EMAIL_TAKEN)
    user = User(
        email=normalise_email(email),
        password_hash=hash_password(password),
        name=name.strip(),
        role=role.value,
        side=side,
    )
    session.add(user)
    try:
        session.flush()
        assert user.id is not None
        for region in sorted(set(regions or [])):
            session.add(CoordinatorRegion(user_id=user.id, region=region))
        session.commit()
    except IntegrityError:  # a concurrent registration with the same email won
        session.rollback()
        raise Conflict(EMAIL_TAKEN) from None
    session.refresh(user)
    return user


def register(*, session: Session, body: RegisterIn) -> User:
    """Self-registration: always a participant on the chosen side."""
    return create_user(
        session=session,
        email=str(body.email),
        password=body.password,
        name=body.name,
        role=Role.participant,
        side=body.side,
    )


def record_login(*, session: Session, user: User) -> None:
    """Remember when the account was last used (for the retention of inactive accounts)."""
    user.last_login_at = clock.now()
    session.add(user)


def authenticate(*, session: Session, email: str, password: str) -> User:
    """The user with this email and password; the same answer and cost for any failure."""
    user = find_by_email(session, email)
    if not verify_password(password, user.password_hash if user else None):
        raise Unauthorized(BAD_CREDENTIALS)
    assert user is not None
    if user.is_deleted:
        raise Unauthorized(BAD_CREDENTIALS)
    return user


def issue_tokens(*, session: Session, user: User, family: str | None = None) -> TokenOut:
    """A new access token and a new single-use refresh token (committed)."""
    assert user.id is not None
    access, lifetime = tokens.create_access_token(user.id)
    refresh, refresh_hash = tokens.new_refresh_token()
    session.add(
        RefreshToken(
            token_hash=refresh_hash,
            user_id=user.id,
            family=family or tokens.new_token_family(),
            expires_at=clock.now() + timedelta(days=get_settings().refresh_token_days),
        )
    )
    session.commit()
    return TokenOut(access_token=access, refresh_token=refresh, expires_in=lifetime)


def rotate_refresh_token(*, session: Session, refresh_token: str) -> TokenOut:
    """Trade a refresh token for a new pair; each refresh token works once.

    Using one twice means it leaked: the whole family (every token descended from the same
    login) is revoked, so the thief's copy stops working too.
    """
    token_hash = tokens.hash_refresh_token(refresh_token)
    now = clock.now()
    claimed = session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.token_hash) == token_hash,
            col(RefreshToken.used_at).is_(None),
            col(RefreshToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(RefreshToken.user_id), col(RefreshToken.family))
    ).first()
    if claimed is None:
        stored = session.get(RefreshToken, token_hash)
        if stored is not None and stored.used_at is not None:
            session.execute(delete(RefreshToken).where(col(RefreshToken.family) == stored.family))
            session.commit()
        raise Unauthorized(REFRESH_INVALID)
    user = session.get(User, claimed.user_id)
    if user is None or user.is_deleted:
        session.rollback()
        raise Unauthorized(REFRESH_INVALID)
    return issue_tokens(session=session, user=user, family=claimed.family)


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
    from app.services.views import match_views

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
        },
        "profile": _profile_export(profile) if profile else None,
        "swipes": [
            {"target_id": s.target_id, "decision": s.decision, "created_at": _iso(s.created_at)}
            for s in session.scalars(select(Swipe).where(col(Swipe.swiper_id) == user.id))
        ],
        "blocks": [
            {"user_id": b.blocked_id, "created_at": _iso(b.created_at)}
            for b in session.scalars(select(Block).where(col(Block.blocker_id) == user.id))
        ],
        "matches": my_matches,
        **trajectory.export_for(session, user.id),  # meetings, my own evaluations
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
    """Erase my personal data (AVG art. 17); partners keep a 'former participant' history."""
    assert user.id is not None
    lock_users(session, [user.id])
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
    if session.execute(delete(Profile).where(col(Profile.user_id) == user.id)).rowcount:  # type: ignore[attr-defined]
        assert user.side is not None
        bump_version(session, user.side, deletion=True)
    session.execute(
        delete(Swipe).where(or_(col(Swipe.swiper_id) == user.id, col(Swipe.target_id) == user.id))
    )
    session.execute(delete(RefreshToken).where(col(RefreshToken.user_id) == user.id))
    session.execute(delete(Notification).where(col(Notification.user_id) == user.id))
    session.execute(delete(CoordinatorRegion).where(col(CoordinatorRegion.user_id) == user.id))
    partner_ids = set()
    for match in session.scalars(select(Match).where(match_service.involving(user.id))):
        partner_ids.add(match.partner_of(user.id))
        if match.ended_by_id == user.id:
            match.exit_note = None  # my own words go too
    _forget_name_in_notifications(session, user_id=user.id, recipients=partner_ids)
    trajectory.erase_for(session, user.id)  # my evaluation answers and meeting notes
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
