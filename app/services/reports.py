"""Safety reports (meldingen): a participant reports another one, perhaps about one message
of their conversation; the coordinators of the reported person's region handle it.

Reporting never tells the reported person: no notification, nothing in their export. A
report about a message is the one way a coordinator reads conversation text, and then only
that message.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from app import clock, ratelimit
from app.config import get_settings
from app.errors import REPORT_RATE_LIMIT, REPORT_RESOLVED, Conflict, Invalid, NotFound
from app.models import Block, Match, Message, Profile, Report, ReportStatus, Role, User
from app.pagination import id_in_range
from app.schemas.reports import ReportIn
from app.services import swiping, visibility
from app.services.coordinator import Scope
from app.services.visibility import Sight

NOT_YOURSELF = "You cannot report yourself."
NOT_THEIR_MESSAGE = "That message was not sent by this person."
OTHER_MATCH = "That message belongs to another match."


def report_limit() -> ratelimit.Limit:
    return ratelimit.Limit(
        "reports-reporter", get_settings().reports_per_day, 24 * 3600, REPORT_RATE_LIMIT
    )


@dataclass(frozen=True, slots=True)
class Filed:
    report: Report
    blocked: bool  # a block of the reporter on the reported person stands now


def file_report(*, session: Session, reporter: User, body: ReportIn) -> Filed:
    """Store a report (and the block, if asked) in one transaction (committed).

    Who can be reported: a participant the reporter can see (a card, a partner's stub) or
    with a block between them. A message must be one the reported person sent in a
    conversation the reporter may still read.
    """
    assert reporter.id is not None
    reporter_id = reporter.id
    if body.user_id == reporter_id:
        raise Invalid(NOT_YOURSELF, loc=["body", "user_id"])
    reported = session.get(User, body.user_id)
    if reported is None or reported.is_deleted or reported.role != Role.participant:
        raise NotFound()
    profile = session.get(Profile, reported.id)
    sight = visibility.sight_of(session, viewer=reporter, subject=reported, profile=profile)
    if sight is Sight.hidden and not swiping.blocked_between(session, reporter_id, body.user_id):
        raise NotFound()
    match = _match_of(session, reporter, body)
    region = profile.region if profile is not None else None
    if region is None and match is not None:
        is_teacher = match.teacher_id == body.user_id
        region = match.teacher_region if is_teacher else match.professional_region
    match_id = match.id if match is not None else None
    # Counted once the report is known to be valid (a rejected one writes nothing).
    if session.get_bind().dialect.name == "sqlite":
        session.rollback()  # release SQLite's write lock before the counter takes it
    ratelimit.hit(report_limit(), str(reporter_id))
    report = Report(
        reporter_id=reporter_id,
        reported_id=body.user_id,
        match_id=match_id,
        message_id=body.message_id,
        region=region,
        reason=body.reason,
        note=body.note,
    )
    session.add(report)
    session.flush()
    report_id = report.id
    if body.block:
        swiping.block(session=session, user=reporter, blocked_id=body.user_id)  # commits
    session.commit()
    stored = session.get(Report, report_id)
    assert stored is not None
    blocked = session.get(Block, (reporter_id, body.user_id)) is not None
    return Filed(stored, blocked)


def _match_of(session: Session, reporter: User, body: ReportIn) -> Match | None:
    """The match the report is about (given, or the reported message's), checked."""
    assert reporter.id is not None
    if body.message_id is not None:
        message = session.get(Message, body.message_id)
        match = session.get(Match, message.match_id) if message is not None else None
        if message is None or match is None or not match.involves(reporter.id):
            raise NotFound()
        if not visibility.conversation_of(session, viewer=reporter, match=match).readable:
            raise NotFound()
        if message.sender_id != body.user_id:
            raise Invalid(NOT_THEIR_MESSAGE, loc=["body", "message_id"])
        if body.match_id is not None and body.match_id != match.id:
            raise Invalid(OTHER_MATCH, loc=["body", "match_id"])
        return match
    if body.match_id is None:
        return None
    match = session.get(Match, body.match_id)
    if match is None or not match.involves(reporter.id) or not match.involves(body.user_id):
        raise NotFound()
    return match


# --- coordinators -------------------------------------------------------------------------------


def list_reports(
    *,
    session: Session,
    regions: frozenset[str] | None,
    status: str | None,
    after_id: int | None,
    limit: int,
) -> list[Report]:
    """Reports about participants of these regions (None: all), newest first, one extra row."""
    query = select(Report)
    if regions is not None:
        query = query.where(col(Report.region).in_(sorted(regions)))
    if status is not None:
        query = query.where(col(Report.status) == status)
    if after_id is not None:
        query = query.where(col(Report.id) < after_id)
    return list(session.scalars(query.order_by(col(Report.id).desc()).limit(limit + 1)))


def report_in_scope(session: Session, scope: Scope, report_id: int) -> Report:
    """A report of my regions; 404 for anything else."""
    report = session.get(Report, id_in_range(report_id))
    if report is None or not scope.allows(report.region):
        raise NotFound()
    return report


def reported_message(session: Session, report: Report) -> Message | None:
    return session.get(Message, report.message_id) if report.message_id is not None else None


def resolve(*, session: Session, report: Report, by: User, note: str | None) -> Report:
    """Close a report (the caller commits); 409 if it already was."""
    if report.status == ReportStatus.resolved:
        raise Conflict(REPORT_RESOLVED)
    report.status = ReportStatus.resolved
    report.resolved_at = clock.now()
    report.resolved_by_id = by.id
    report.resolution_note = note
    session.add(report)
    session.flush()
    session.refresh(report)
    return report


# --- my data (AVG) ------------------------------------------------------------------------------


def export_for(session: Session, user_id: int) -> list[dict[str, object]]:
    """The reports I filed. Reports about me are not in my export: reporting never tells
    the reported person (protecting the reporter, UAVG art. 41)."""
    return [
        {
            "id": r.id,
            "user_id": r.reported_id,
            "match_id": r.match_id,
            "message_id": r.message_id,
            "reason": r.reason,
            "note": r.note,
            "status": r.status,
            "created_at": clock.as_utc(r.created_at).isoformat(),
        }
        for r in session.scalars(
            select(Report).where(col(Report.reporter_id) == user_id).order_by(col(Report.id))
        )
    ]


def erase_for(session: Session, user_id: int) -> None:
    """Erase my words from reports I filed (the caller commits): the note goes; that I
    reported, the reason code and what the coordinator did stay for their case history."""
    session.execute(update(Report).where(col(Report.reporter_id) == user_id).values(note=None))


def purge_resolved(session: Session, *, resolved_before: datetime) -> int:
    """Retention: reports resolved longer ago than the retention period go (the caller
    commits); open ones stay until handled."""
    result = session.execute(
        delete(Report).where(
            col(Report.status) == ReportStatus.resolved,
            col(Report.resolved_at) < resolved_before,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
