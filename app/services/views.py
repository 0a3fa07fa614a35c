"""Shaping domain objects into what a given viewer may see."""

from sqlmodel import Session

from app import clock
from app.models import Match, Profile, User
from app.schemas.matches import MatchOut
from app.services import profiles as profile_service
from app.services.matches import confirmations, effective_status


def match_view(session: Session, match: Match, viewer_id: int) -> MatchOut:
    """A match as one of its partners sees it: the other's card, with contact."""
    partner_id = match.partner_of(viewer_id)
    partner = session.get(User, partner_id)
    assert partner is not None
    now = clock.now()
    status = effective_status(match, now)
    confirmed = confirmations(match, viewer_id)
    return MatchOut(
        id=match.id or 0,
        status=status,
        origin=match.origin,
        partner=profile_service.card(session.get(Profile, partner_id), partner, with_contact=True),
        created_at=clock.as_utc(match.created_at),
        trial_ends_at=clock.as_utc(match.trial_ends_at),
        trial_overdue=status == "trial" and clock.as_utc(match.trial_ends_at) <= now,
        ends_at=clock.as_utc(match.ends_at),
        duration_months=match.duration_months,
        confirmed_by_me=confirmed.mine,
        confirmed_by_partner=confirmed.partner,
        ended_at=clock.as_utc(match.ended_at) if match.ended_at else None,
    )
