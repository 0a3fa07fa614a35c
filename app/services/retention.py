"""Retention (AVG storage limitation): `jobtinder purge` removes what is no longer needed.

After RETENTION_DAYS (default 730, two years: long enough for a programme evaluation cycle):
- ended and completed trajectories lose their personal content — exit notes, meeting notes,
  evaluation answers, plans, the text of their conversation's messages — while the bare facts
  (dates, status, exit reason code, hours) stay for the region's statistics;
- inactive participant accounts (no login for that long, and no ongoing match) are erased as
  by DELETE /me;
- read notifications of that age are deleted, and so are reports resolved that long ago.
Always: expired refresh tokens; login sessions revoked longer ago than an access token lives
(the revocation set no longer needs them) or without a refresh token left; mailed tokens a
day past their expiry; rate-limit counters older than a day; the like counts (`DailyLikes`)
of past days; handled mails (sent, merged into a digest, skipped or failed) older than
MAIL_KEEP_DAYS (90; their unsubscribe links then stop working), with the per-day digest
slots older than two days; live events older than EVENTS_KEEP_DAYS (14; a stream replays at
most that far back), stream tickets an hour past expiry, lapsed presence rows, and handled
pushes after MAIL_KEEP_DAYS; stored photo images no profile refers to
any more (older than an hour: an upload in flight is kept).
Every step is idempotent; running it twice changes nothing the second time.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlmodel import Session, col

from app import clock, ratelimit
from app.config import get_settings
from app.db import lock_users
from app.models import (
    AccountToken,
    DailyLikes,
    Evaluation,
    LoginSession,
    MailDigestSlot,
    Match,
    Meeting,
    Notification,
    OutboxMail,
    OutboxPush,
    Plan,
    RefreshToken,
    Role,
    User,
)
from app.services import events, messages, photos, reports
from app.services import matches as match_service
from app.services.revocation import CLOCK_MARGIN

MAIL_KEEP_DAYS = 90


@dataclass
class PurgeReport:
    trajectories: int = 0
    accounts: int = 0
    notifications: int = 0
    reports: int = 0
    refresh_tokens: int = 0
    sessions: int = 0
    account_tokens: int = 0
    rate_limit_counters: int = 0
    daily_like_counts: int = 0
    mails: int = 0
    events: int = 0
    orphan_photos: int = 0  # stored photo images no profile refers to any more
    erased_ids: list[int] = field(default_factory=list)


def purge(*, session: Session, days: int) -> PurgeReport:
    """Apply the retention period (the function commits)."""
    from app.services.accounts import erase_account

    now = clock.now()
    cutoff = now - timedelta(days=days)
    report = PurgeReport()

    finished_before = or_(
        and_(col(Match.status) == "ended", col(Match.ended_at) < cutoff),
        and_(col(Match.status).in_(("active", "completed")), col(Match.ends_at) < cutoff),
    )
    old = list(session.scalars(select(col(Match.id)).where(finished_before)))
    if old:
        session.execute(update(Match).where(col(Match.id).in_(old)).values(exit_note=None))
        session.execute(update(Meeting).where(col(Meeting.match_id).in_(old)).values(note=None))
        session.execute(
            update(Evaluation).where(col(Evaluation.match_id).in_(old)).values(answers={})
        )
        session.execute(delete(Plan).where(col(Plan.match_id).in_(old)))
        messages.strip_matches(session, old)
        report.trajectories = len(old)

    last_seen = func.coalesce(col(User.last_login_at), col(User.created_at))
    inactive: list[int] = list(
        session.scalars(
            select(col(User.id)).where(
                col(User.role) == Role.participant.value,
                col(User.deleted_at).is_(None),
                last_seen < cutoff,
            )
        )
    )
    session.commit()
    for user_id in inactive:
        # Decide again under the user's lock (which a login, a match or an erasure also takes):
        # someone who logged in or got a match since the list above was read is kept.
        lock_users(session, [user_id])
        user = session.get(User, user_id, populate_existing=True)
        if (
            user is None
            or user.deleted_at is not None
            or clock.as_utc(user.last_login_at or user.created_at) >= cutoff
            or match_service.ongoing_count(session, user_id, now) > 0
        ):
            session.rollback()
            continue
        erase_account(session=session, user=user)  # commits
        report.accounts += 1
        report.erased_ids.append(user_id)

    report.notifications = _count(
        session.execute(
            delete(Notification).where(
                col(Notification.read_at).is_not(None), col(Notification.created_at) < cutoff
            )
        )
    )
    report.reports = reports.purge_resolved(session, resolved_before=cutoff)
    report.refresh_tokens = _count(
        session.execute(
            # Used but unexpired tokens stay: presenting one again must still revoke its login.
            delete(RefreshToken).where(col(RefreshToken.expires_at) < now)
        )
    )
    report.daily_like_counts = _count(
        session.execute(delete(DailyLikes).where(col(DailyLikes.day) < now.date()))
    )
    mail_cutoff = now - timedelta(days=MAIL_KEEP_DAYS)
    report.mails = _count(
        session.execute(
            delete(OutboxMail).where(
                col(OutboxMail.status).in_(("sent", "merged", "skipped", "failed")),
                col(OutboxMail.created_at) < mail_cutoff,
                col(OutboxMail.merged_into).is_(None),  # a digest's parts go with it (cascade)
            )
        )
    )
    report.events = events.purge(session, now=now)
    session.execute(
        delete(OutboxPush).where(
            col(OutboxPush.status).in_(("sent", "failed")), col(OutboxPush.created_at) < mail_cutoff
        )
    )
    slot_cutoff = (now - timedelta(days=2)).date().isoformat()
    session.execute(delete(MailDigestSlot).where(col(MailDigestSlot.day) < slot_cutoff))
    revoked_before = now - timedelta(minutes=get_settings().access_token_minutes) - CLOCK_MARGIN
    has_refresh_token = (
        select(col(RefreshToken.token_hash))
        .where(col(RefreshToken.session_id) == col(LoginSession.id))
        .exists()
    )
    report.sessions = _count(
        session.execute(
            delete(LoginSession).where(
                or_(
                    col(LoginSession.revoked_at) < revoked_before,
                    and_(col(LoginSession.revoked_at).is_(None), ~has_refresh_token),
                )
            )
        )
    )
    report.account_tokens = _count(
        session.execute(
            delete(AccountToken).where(col(AccountToken.expires_at) < now - timedelta(days=1))
        )
    )
    session.commit()
    report.rate_limit_counters = ratelimit.purge_expired()
    report.orphan_photos = photos.sweep_orphans(session)
    return report


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
