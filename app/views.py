"""Response shaping: domain rows turned into the response models (app/schemas/) a given viewer
may see. Routers and services that answer with a match or an evaluation use these, so no
router imports another and each shape is built in one place."""

from collections.abc import Sequence

from sqlmodel import Session

from app import clock
from app.models import Evaluation, EvaluationKind, Match, Profile, User
from app.schemas.matches import MatchOut
from app.schemas.trajectory import EvaluationOut, FinalAnswers, MidtermAnswers
from app.services import visibility
from app.services.matches import confirmations, effective_status
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


# --- evaluations -------------------------------------------------------------------------


def _answers(evaluation: Evaluation) -> MidtermAnswers | FinalAnswers | None:
    if not evaluation.answers:  # erased with the author's account
        return None
    model = MidtermAnswers if evaluation.kind == "midterm" else FinalAnswers
    return model.model_validate(evaluation.answers)


def evaluation_out(
    match: Match,
    viewer: User,
    author_id: int,
    kind: EvaluationKind,
    evaluation: Evaluation | None,
    *,
    show_answers: bool,
) -> EvaluationOut:
    return EvaluationOut(
        kind=kind,
        author_id=author_id,
        author_side="teacher" if author_id == match.teacher_id else "professional",
        mine=author_id == viewer.id,
        filed=evaluation is not None,
        created_at=clock.as_utc(evaluation.created_at) if evaluation else None,
        answers=_answers(evaluation) if evaluation and show_answers else None,
    )


def evaluations_view(
    match: Match, viewer: User, *, is_partner: bool, filed: Sequence[Evaluation]
) -> list[EvaluationOut]:
    """Each partner's midterm and final (of the match's `filed` evaluations): answers for
    their author and coordinators only."""
    by_author = {(e.author_id, e.kind): e for e in filed}
    authors = [match.teacher_id, match.professional_id]
    if is_partner and viewer.id == match.professional_id:
        authors.reverse()
    kinds = tuple(EvaluationKind)
    return [
        evaluation_out(
            match,
            viewer,
            author,
            kind,
            by_author.get((author, kind)),
            show_answers=not is_partner or author == viewer.id,
        )
        for author in authors
        for kind in kinds
    ]
