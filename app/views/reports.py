"""Safety reports as the reporter and as the region's coordinators see them."""

from sqlmodel import Session

from app import clock
from app.models import Profile, Report, User
from app.schemas.coordinator import PartnerSummary
from app.schemas.reports import CoordinatorReport, ReportedMessage, ReportOut
from app.services.coordinator import Scope
from app.services.reports import reported_message
from app.views.coordinator import partner_summary


def report_out(report: Report, *, blocked: bool) -> ReportOut:
    """A report as the participant who filed it sees it."""
    return ReportOut(
        id=report.id or 0,
        user_id=report.reported_id,
        match_id=report.match_id,
        message_id=report.message_id,
        reason=report.reason,
        note=report.note,
        status=report.status,
        created_at=clock.as_utc(report.created_at),
        blocked=blocked,
    )


def _person(session: Session, user_id: int, staff: User, scope: Scope) -> PartnerSummary:
    """Someone in a report of my regions: as a partner of a pair I follow (email and contact
    only for coordinators of their own region; no photo)."""
    user = session.get(User, user_id)
    assert user is not None
    profile = session.get(Profile, user_id)
    return partner_summary(user, profile, staff, scope, photo_shown=False)


def coordinator_report(
    session: Session, report: Report, staff: User, scope: Scope
) -> CoordinatorReport:
    """A report as a coordinator of its region sees it, with the reported message's text."""
    message = reported_message(session, report)
    return CoordinatorReport(
        id=report.id or 0,
        status=report.status,
        reason=report.reason,
        note=report.note,
        region=report.region,
        reporter=_person(session, report.reporter_id, staff, scope),
        reported=_person(session, report.reported_id, staff, scope),
        match_id=report.match_id,
        message=ReportedMessage(
            id=message.id or 0,
            sender_id=message.sender_id,
            body=message.body,
            removed=message.body is None,
            created_at=clock.as_utc(message.created_at),
        )
        if message is not None
        else None,
        created_at=clock.as_utc(report.created_at),
        resolved_at=clock.as_utc(report.resolved_at) if report.resolved_at else None,
        resolved_by_id=report.resolved_by_id,
        resolution_note=report.resolution_note,
    )
