"""Login sessions (one per login, i.e. per device): listing them and ending them.

A session is revoked by setting `revoked_at`, deleting its refresh tokens and bumping the
revocation version, in the caller's transaction; `commit_revocation` commits and tells this
process's revocation set at once (the others learn it within REVOCATION_REFRESH_SECONDS).
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlmodel import Session, col

from app import clock
from app.errors import INVALID_CURSOR, Invalid, NotFound
from app.models import LoginSession, RefreshToken
from app.pagination import decode_cursor, encode_cursor
from app.services.revocation import bump_version, revocations


def revoke(
    session: Session,
    *,
    user_id: int,
    session_ids: Sequence[str] | None = None,
    keep: str | None = None,
) -> list[str]:
    """Revoke these sessions of the user (None: all of them), except `keep`; not committed."""
    query = select(col(LoginSession.id)).where(
        col(LoginSession.user_id) == user_id, col(LoginSession.revoked_at).is_(None)
    )
    if session_ids is not None:
        query = query.where(col(LoginSession.id).in_(list(session_ids)))
    if keep is not None:
        query = query.where(col(LoginSession.id) != keep)
    ids = list(session.scalars(query))
    if not ids:
        return []
    session.execute(
        update(LoginSession).where(col(LoginSession.id).in_(ids)).values(revoked_at=clock.now())
    )
    session.execute(delete(RefreshToken).where(col(RefreshToken.session_id).in_(ids)))
    bump_version(session)
    return ids


def commit_revocation(session: Session, session_ids: Sequence[str]) -> None:
    """Commit, then refuse these sessions' access tokens in this process right away."""
    session.commit()
    revocations.note_revoked(session_ids)


def end_session(*, session: Session, user_id: int, session_id: str) -> None:
    """Log out one of my sessions (404 if it is not mine or already ended)."""
    ids = revoke(session, user_id=user_id, session_ids=[session_id])
    if not ids:
        raise NotFound()
    commit_revocation(session, ids)


def my_sessions(
    *, session: Session, user_id: int, limit: int, cursor: str | None
) -> tuple[list[LoginSession], str | None]:
    """My sessions still in force, newest first."""
    query = select(LoginSession).where(
        col(LoginSession.user_id) == user_id, col(LoginSession.revoked_at).is_(None)
    )
    if cursor is not None:
        created, session_id = _parse_cursor(cursor)
        query = query.where(
            or_(
                col(LoginSession.created_at) < created,
                and_(col(LoginSession.created_at) == created, col(LoginSession.id) < session_id),
            )
        )
    rows = list(
        session.scalars(
            query.order_by(col(LoginSession.created_at).desc(), col(LoginSession.id).desc()).limit(
                limit + 1
            )
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([clock.as_utc(last.created_at).isoformat(), last.id])
    return rows, next_cursor


def _parse_cursor(cursor: str) -> tuple[datetime, str]:
    position = decode_cursor(cursor)
    try:
        if len(position) != 2 or not isinstance(position[1], str):
            raise ValueError
        return datetime.fromisoformat(position[0]), position[1]
    except (ValueError, TypeError):
        raise Invalid(INVALID_CURSOR.detail, loc=["query", "cursor"], code=INVALID_CURSOR) from None
