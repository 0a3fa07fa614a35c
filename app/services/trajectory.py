"""The trajectory after the match (phases 2–4): the plan (werkafspraken), meetings and their
hours, progress against the plan's pace, and the midterm and final evaluations.

What happens merely because time passes (reminders, stored completion) is in `time_events`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app import clock
from app.errors import EVALUATION_FILED, FINAL_NOT_ACTIVE, MIDTERM_NOT_ONGOING, Conflict, Invalid
from app.errors import TRAJECTORY_CLOSED as NOT_ONGOING
from app.models import (
    ONGOING,
    Evaluation,
    EvaluationKind,
    Match,
    MatchStatus,
    Meeting,
    Plan,
    Profile,
    User,
)
from app.schemas.trajectory import FinalIn, MeetingIn, MidtermIn, PlanIn
from app.services import matches as match_service

GUIDELINE_MEETINGS = 6
GUIDELINE_HOURS = 20.0
GRACE_DAYS = 14  # nobody is behind in the first two weeks
ON_TRACK_SHARE = 0.75
# Dates are calendar dates where the pair lives; "not in the future" allows for the latest
# time zone (UTC+14), so a meeting logged just after midnight in the Netherlands counts.
LOCAL_DAY_SLACK = timedelta(hours=14)
MAX_START_DELAY_DAYS = 183


def _add_months(day: date, months: int) -> date:
    return match_service.add_months(datetime.combine(day, time(), UTC), months).date()


def _day(moment: datetime) -> date:
    return clock.as_utc(moment).date()


# --- plan ---------------------------------------------------------------------------------------


def default_plan(session: Session, match: Match, *, unseen: frozenset[int] = frozenset()) -> Plan:
    """The plan until someone stores one: goals from the profiles, dates from the match.

    `unseen`: partners whose live profile the viewer may not see (after a block): their
    goals stay empty.
    """
    teacher = None if match.teacher_id in unseen else session.get(Profile, match.teacher_id)
    professional = (
        None if match.professional_id in unseen else session.get(Profile, match.professional_id)
    )
    return _plan_for(match, teacher, professional)


def _plan_for(match: Match, teacher: Profile | None, professional: Profile | None) -> Plan:
    """The default plan of a match with these partners' profiles (None: no goals)."""
    return Plan(
        match_id=match.id or 0,
        teacher_goals=list(teacher.goals) if teacher else [],
        professional_goals=list(professional.goals) if professional else [],
        joint_goals=[],
        planned_meetings=GUIDELINE_MEETINGS,
        hours_target=GUIDELINE_HOURS,
        planned_activities=[],
        start_date=_day(match.created_at),
        planned_end=_day(match.ends_at),
    )


def get_plan(
    session: Session, match: Match, *, unseen: frozenset[int] = frozenset()
) -> tuple[Plan, bool]:
    """(the plan, whether it is stored); see `default_plan` for `unseen`."""
    stored = session.get(Plan, match.id)
    if stored is not None:
        return stored, True
    return default_plan(session, match, unseen=unseen), False


def put_plan(*, session: Session, match: Match, by: User, body: PlanIn) -> Plan:
    """Store the pair's plan; my goals are mine to set, the partner's stay as they are.

    The planned end is the match's end: `ends_at` moves to it, so the match completes when
    the planned duration has passed.
    """
    assert by.id is not None
    match_service.lock_match(session, match)
    if match_service.effective_status(match) not in ONGOING:
        raise Conflict(NOT_ONGOING)
    created = _day(match.created_at)
    if body.start_date < created:
        raise Invalid("start_date cannot be before the match was made", loc=["body", "start_date"])
    if body.start_date > created + timedelta(days=MAX_START_DELAY_DAYS):
        raise Invalid("start_date must be within 6 months of the match", loc=["body", "start_date"])
    if not _add_months(body.start_date, 3) <= body.planned_end <= _add_months(body.start_date, 6):
        raise Invalid(
            "planned_end must be 3 to 6 months after start_date", loc=["body", "planned_end"]
        )
    if body.planned_end <= clock.now().date():
        raise Invalid("planned_end must be in the future", loc=["body", "planned_end"])

    plan, _ = get_plan(session, match)
    if body.my_goals is not None:
        if by.id == match.teacher_id:
            plan.teacher_goals = list(body.my_goals)
        else:
            plan.professional_goals = list(body.my_goals)
    plan.joint_goals = list(body.joint_goals)
    plan.planned_meetings = body.planned_meetings
    plan.hours_target = body.hours_target
    plan.planned_activities = list(body.planned_activities)
    plan.start_date = body.start_date
    plan.planned_end = body.planned_end
    plan.updated_at = clock.now()
    plan.updated_by_id = by.id
    session.add(plan)

    ends_at = clock.as_utc(match.ends_at)
    match.ends_at = datetime.combine(body.planned_end, ends_at.timetz())
    match.duration_months = max(
        m for m in range(3, 7) if _add_months(body.start_date, m) <= body.planned_end
    )
    session.add(match)
    session.flush()
    session.refresh(plan)
    return plan


# --- meetings -----------------------------------------------------------------------------------


def log_meeting(*, session: Session, match: Match, by: User, body: MeetingIn) -> Meeting:
    """Log a meeting (either partner), only while the match is in its trial or active."""
    match_service.lock_match(session, match)
    if match_service.effective_status(match) not in ONGOING:
        raise Conflict(NOT_ONGOING)
    if body.date > (clock.now() + LOCAL_DAY_SLACK).date():
        raise Invalid("date cannot be in the future", loc=["body", "date"])
    if body.date < _day(match.created_at):
        raise Invalid("date cannot be before the match was made", loc=["body", "date"])
    meeting = Meeting(
        match_id=match.id or 0,
        logged_by_id=by.id,
        held_on=body.date,
        hours=body.hours,
        activity=body.activity,
        note=body.note,
    )
    session.add(meeting)
    session.flush()
    session.refresh(meeting)
    return meeting


def list_meetings(
    *, session: Session, match: Match, after: tuple[date, int] | None, limit: int
) -> list[Meeting]:
    """Newest first (by date, then id); one row more than the page to tell if another follows."""
    query = select(Meeting).where(col(Meeting.match_id) == match.id)
    if after is not None:
        held_on, meeting_id = after
        query = query.where(
            or_(
                col(Meeting.held_on) < held_on,
                and_(col(Meeting.held_on) == held_on, col(Meeting.id) < meeting_id),
            )
        )
    query = query.order_by(col(Meeting.held_on).desc(), col(Meeting.id).desc()).limit(limit + 1)
    return list(session.scalars(query))


# --- progress -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Progress:
    hours_logged: float
    hours_target: float
    meetings: int
    planned_meetings: int
    expected_hours_by_now: float
    on_track: bool
    behind_by_hours: float
    start_date: date
    planned_end: date


def compute_progress(plan: Plan, *, hours_logged: float, meetings: int, today: date) -> Progress:
    """Hours against the plan's pace: the target spread evenly over start → planned end."""
    total_days = max((plan.planned_end - plan.start_date).days, 1)
    elapsed = (today - plan.start_date).days
    share = min(max(elapsed / total_days, 0.0), 1.0)
    expected = round(plan.hours_target * share, 2)
    hours_logged = round(hours_logged, 2)
    on_track = elapsed < GRACE_DAYS or hours_logged >= ON_TRACK_SHARE * expected
    return Progress(
        hours_logged=hours_logged,
        hours_target=plan.hours_target,
        meetings=meetings,
        planned_meetings=plan.planned_meetings,
        expected_hours_by_now=expected,
        on_track=on_track,
        behind_by_hours=round(max(expected - hours_logged, 0.0), 2),
        start_date=plan.start_date,
        planned_end=plan.planned_end,
    )


def _hours_by_match(session: Session, match_ids: Sequence[int]) -> dict[int, tuple[float, int]]:
    if not match_ids:
        return {}
    rows = session.execute(
        select(col(Meeting.match_id), func.sum(col(Meeting.hours)), func.count())
        .where(col(Meeting.match_id).in_(list(match_ids)))
        .group_by(col(Meeting.match_id))
    ).all()
    return {match_id: (float(hours or 0), int(count)) for match_id, hours, count in rows}


def progress_many(session: Session, matches: Sequence[Match]) -> dict[int, Progress]:
    """Progress of several matches with two queries (plans, meeting sums), however many."""
    ids = [m.id for m in matches if m.id is not None]
    if not ids:
        return {}
    stored = session.scalars(select(Plan).where(col(Plan.match_id).in_(ids)))
    plans = {p.match_id: p for p in stored}
    hours = _hours_by_match(session, ids)
    today = clock.now().date()
    out = {}
    for match in matches:
        assert match.id is not None
        # Progress needs the plan's dates and targets, never the goals: no profiles read.
        plan = plans.get(match.id) or _plan_for(match, None, None)
        logged, count = hours.get(match.id, (0.0, 0))
        out[match.id] = compute_progress(plan, hours_logged=logged, meetings=count, today=today)
    return out


def progress(session: Session, match: Match) -> Progress:
    assert match.id is not None
    return progress_many(session, [match])[match.id]


def is_behind(match: Match, progress: Progress, now: datetime) -> bool:
    """An ongoing match whose logged hours lag the plan's pace (for coordinators' at_risk)."""
    return match_service.effective_status(match, now) in ONGOING and not progress.on_track


# --- evaluations --------------------------------------------------------------------------------


def file_evaluation(
    *, session: Session, match: Match, by: User, body: MidtermIn | FinalIn
) -> Evaluation:
    """File my midterm or final evaluation, once per kind. The second final of the pair
    completes an active match, in the same transaction."""
    assert by.id is not None and match.id is not None
    match_service.lock_match(session, match)
    status = match_service.effective_status(match)
    if body.kind == "midterm" and status not in ONGOING:
        raise Conflict(MIDTERM_NOT_ONGOING)
    if body.kind == "final" and status not in (MatchStatus.active, MatchStatus.completed):
        raise Conflict(FINAL_NOT_ACTIVE)
    if _filed(session, match.id, {by.id}, body.kind):
        raise Conflict(EVALUATION_FILED)
    evaluation = Evaluation(
        match_id=match.id,
        author_id=by.id,
        kind=EvaluationKind(body.kind),
        answers=body.model_dump(mode="json", exclude={"kind"}),
    )
    session.add(evaluation)
    try:
        session.flush()
    except IntegrityError:  # the same evaluation, filed at the same moment elsewhere
        session.rollback()
        raise Conflict(EVALUATION_FILED) from None
    partner_id = match.partner_of(by.id)
    if (
        body.kind == "final"
        and match.status == MatchStatus.active
        and _filed(session, match.id, {partner_id}, "final")
    ):
        match_service.complete_match(session=session, match=match)
    session.flush()
    session.refresh(evaluation)
    return evaluation


def _filed(session: Session, match_id: int, authors: set[int], kind: str) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Evaluation)
            .where(
                col(Evaluation.match_id) == match_id,
                col(Evaluation.author_id).in_(sorted(authors)),
                col(Evaluation.kind) == kind,
            )
        )
    )


def evaluations_of(session: Session, match: Match) -> list[Evaluation]:
    return list(
        session.scalars(
            select(Evaluation)
            .where(col(Evaluation.match_id) == match.id)
            .order_by(col(Evaluation.id))
        )
    )


# --- my data (AVG) ------------------------------------------------------------------------------


def export_for(session: Session, user_id: int) -> dict[str, list[dict[str, object]]]:
    """My part of the trajectories: the meetings of my matches (notes only where I wrote
    them) and my own evaluations. Never the partner's answers."""
    match_ids = select(col(Match.id)).where(match_service.involving(user_id))
    meetings = session.scalars(
        select(Meeting).where(col(Meeting.match_id).in_(match_ids)).order_by(col(Meeting.id))
    )
    evaluations = session.scalars(
        select(Evaluation).where(col(Evaluation.author_id) == user_id).order_by(col(Evaluation.id))
    )
    return {
        "meetings": [
            {
                "match_id": m.match_id,
                "date": m.held_on.isoformat(),
                "hours": m.hours,
                "activity": m.activity,
                "note": m.note if m.logged_by_id == user_id else None,
                "logged_by_me": m.logged_by_id == user_id,
                "created_at": clock.as_utc(m.created_at).isoformat(),
            }
            for m in meetings
        ],
        "evaluations": [
            {
                "match_id": e.match_id,
                "kind": e.kind,
                "answers": e.answers,
                "created_at": clock.as_utc(e.created_at).isoformat(),
            }
            for e in evaluations
        ],
    }


def erase_for(session: Session, user_id: int) -> None:
    """Erase my words from trajectories (the caller commits): my evaluation answers and the
    notes of meetings I logged. That I filed, and the hours, stay for the partner's history."""
    session.execute(
        update(Evaluation).where(col(Evaluation.author_id) == user_id).values(answers={})
    )
    session.execute(update(Meeting).where(col(Meeting.logged_by_id) == user_id).values(note=None))
