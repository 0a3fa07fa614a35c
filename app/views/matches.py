"""A match as one of its partners sees it."""

from sqlmodel import Session

from app import clock
from app.models import Match, Profile, User
from app.schemas.matches import MatchOut, SwipeOut
from app.services import visibility
from app.services.matches import confirmations, effective_status
from app.services.swiping import SwipeOutcome
from app.services.visibility import Sight


def match_view(
    session: Session, match: Match, viewer_id: int, partner_sight: Sight | None = None
) -> MatchOut:
    """A match as one of its partners sees it: the other's card as `visibility` decides.

    That is the card with contact, or after a block between the two (either way) only a stub.
    `partner_sight` lets a list decide for a whole page in one query.
    """
    partner_id = match.partner_of(viewer_id)
    if partner_sight is None:
        partner_sight = visibility.partner_sights(
            session, viewer_id=viewer_id, partner_ids=[partner_id]
        )[partner_id]
    partner = session.get(User, partner_id)
    assert partner is not None
    now = clock.now()
    status = effective_status(match, now)
    confirmed = confirmations(match, viewer_id)
    profile = session.get(Profile, partner_id) if partner_sight.shows_card else None
    return MatchOut(
        id=match.id or 0,
        status=status,
        origin=match.origin,
        partner=visibility.card_for(partner_sight, partner, profile),
        created_at=clock.as_utc(match.created_at),
        trial_ends_at=clock.as_utc(match.trial_ends_at),
        trial_overdue=status == "trial" and clock.as_utc(match.trial_ends_at) <= now,
        ends_at=clock.as_utc(match.ends_at),
        duration_months=match.duration_months,
        confirmed_by_me=confirmed.mine,
        confirmed_by_partner=confirmed.partner,
        ended_at=clock.as_utc(match.ended_at) if match.ended_at else None,
    )


def match_views(session: Session, matches: list[Match], viewer_id: int) -> list[MatchOut]:
    """Several of the viewer's matches, with one visibility query for all partners."""
    sights = visibility.partner_sights(
        session, viewer_id=viewer_id, partner_ids=[m.partner_of(viewer_id) for m in matches]
    )
    return [match_view(session, m, viewer_id, sights[m.partner_of(viewer_id)]) for m in matches]


def swipe_out(
    session: Session, outcome: SwipeOutcome, *, user_id: int, target_id: int, decision: str
) -> SwipeOut:
    """A swipe's answer, with the match it started (or, for a retry, the match it did)."""
    match = None
    if outcome.match is not None:
        # A retry may show a match that a block has since ended: look the partner up then.
        sight = (
            visibility.new_match_partner_sight(viewer_id=user_id, partner_id=target_id)
            if outcome.created
            else None
        )
        match = match_view(session, outcome.match, user_id, sight)
    return SwipeOut(target_id=target_id, decision=decision, match=match)
