"""A match's trajectory as a partner or a coordinator sees it: plan, meetings, evaluations."""

from collections.abc import Sequence

from app import clock
from app.models import Evaluation, EvaluationKind, Match, Meeting, Plan, User
from app.schemas.trajectory import (
    EvaluationOut,
    FinalAnswers,
    MeetingOut,
    MidtermAnswers,
    PlanOut,
)


def plan_out(plan: Plan, *, stored: bool, match: Match, viewer: User, is_partner: bool) -> PlanOut:
    """The plan; `my_goals`/`partner_goals` only for a partner (coordinators: both sides')."""
    mine = partner = None
    if is_partner:
        is_teacher = viewer.id == match.teacher_id
        mine = plan.teacher_goals if is_teacher else plan.professional_goals
        partner = plan.professional_goals if is_teacher else plan.teacher_goals
    return PlanOut(
        match_id=match.id or 0,
        my_goals=mine,
        partner_goals=partner,
        teacher_goals=plan.teacher_goals,
        professional_goals=plan.professional_goals,
        joint_goals=plan.joint_goals,
        planned_meetings=plan.planned_meetings,
        hours_target=plan.hours_target,
        planned_activities=plan.planned_activities,
        start_date=plan.start_date,
        planned_end=plan.planned_end,
        stored=stored,
        updated_at=clock.as_utc(plan.updated_at) if stored else None,
        updated_by_id=plan.updated_by_id if stored else None,
    )


def meeting_out(meeting: Meeting, viewer: User) -> MeetingOut:
    return MeetingOut(
        id=meeting.id or 0,
        date=meeting.held_on,
        hours=meeting.hours,
        activity=meeting.activity,
        note=meeting.note,
        logged_by_id=meeting.logged_by_id,
        logged_by_me=meeting.logged_by_id is not None and meeting.logged_by_id == viewer.id,
        created_at=clock.as_utc(meeting.created_at),
    )


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
