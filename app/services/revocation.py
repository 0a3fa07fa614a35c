"""Revoked login sessions, known to every API process without a query per request.

Every access token carries its login session's id (`sid`). `get_bearer` refuses a token whose
session is in this process's revocation set. The set is brought up to date at most every
REVOCATION_REFRESH_SECONDS (default 2): one primary-key read of the `revocation_versions` row,
which every revocation bumps in its own transaction, and only when that changed, a re-read of
the sessions revoked recently enough to still have unexpired access tokens (revoked within the
access-token lifetime). A revocation made by this process is in its set at once.

So a revoked session's access tokens stop working on every process within
REVOCATION_REFRESH_SECONDS (plus the time of one refresh) of the revocation's commit; the hot
paths pay nothing but a set lookup, and one threadpool hop per process every few seconds.
If the database cannot be read when a refresh is due, the request fails (503): the set is
never trusted past its bound.
"""

import math
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.db import conflict_insert, session_scope
from app.models import LoginSession, RevocationVersion

VERSION_ROW = "sessions"
# Clocks of API processes and database may differ a little; keep revocations this much longer.
CLOCK_MARGIN = timedelta(minutes=1)


class RevocationSet:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything (tests; the next check reloads from the database)."""
        self._revoked: frozenset[str] = frozenset()
        self._local: dict[str, float] = {}  # revoked here, not yet seen in a reload
        self._version: int | None = None
        self._checked_at = -math.inf

    def due(self) -> bool:
        interval = get_settings().revocation_refresh_seconds
        return time.monotonic() - self._checked_at >= interval

    def is_revoked(self, session_id: str) -> bool:
        return session_id in self._revoked or session_id in self._local

    def refresh(self) -> None:
        """Re-read the revocations if the version row changed (blocking: run in a thread)."""
        with self._lock:
            if not self.due():  # another thread refreshed while this one waited
                return
            started = time.monotonic()
            with session_scope() as session:
                stamp = session.get(RevocationVersion, VERSION_ROW)
                version = stamp.version if stamp else 0
                if version != self._version:
                    self._revoked = frozenset(_recently_revoked(session))
                    self._version = version
                    lifetime = get_settings().access_token_minutes * 60
                    self._local = {
                        sid: at
                        for sid, at in self._local.items()
                        if sid not in self._revoked and started - at < lifetime
                    }
            self._checked_at = started

    def note_revoked(self, session_ids: Iterable[str]) -> None:
        """Sessions this process just revoked (after the commit): refused here at once."""
        now = time.monotonic()
        for session_id in session_ids:
            self._local[session_id] = now


def _recently_revoked(session: Session) -> list[str]:
    lifetime = timedelta(minutes=get_settings().access_token_minutes)
    cutoff = clock.now() - lifetime - CLOCK_MARGIN
    return list(
        session.scalars(select(col(LoginSession.id)).where(col(LoginSession.revoked_at) >= cutoff))
    )


def bump_version(session: Session) -> None:
    """Record, in the caller's transaction, that sessions were revoked."""
    statement = conflict_insert(session, RevocationVersion).values(name=VERSION_ROW, version=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"version": col(RevocationVersion.version) + 1}
        )
    )


revocations = RevocationSet()
