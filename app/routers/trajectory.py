"""The trajectory of a match: plan, meetings, progress, evaluations.

Only the two partners reach these; coordinators of their region may read (403 on writes);
everyone else gets 404.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Body, Depends, status
from sqlmodel import Session

from app.db import ReadSession, RequestSession, WriteSession
from app.errors import (
    EVALUATION_FILED,
    FINAL_NOT_ACTIVE,
    MIDTERM_NOT_ONGOING,
    TRAJECTORY_CLOSED,
    TRAJECTORY_READ_ONLY,
    Forbidden,
    NotFound,
)
from app.models import Match, Role, User
from app.pagination import BY_DATE, PageDep, id_in_range, page_of
from app.schemas.common import Page, problem_responses
from app.schemas.trajectory import (
    EvaluationIn,
    EvaluationOut,
    MeetingIn,
    MeetingOut,
    PlanIn,
    PlanOut,
    ProgressOut,
)
from app.security import CurrentUser
from app.services import trajectory as service
from app.services import visibility
from app.services.coordinator import match_in_scope, scope_of
from app.views.trajectory import evaluation_out, evaluations_view, meeting_out, plan_out

router = APIRouter(prefix="/matches", tags=["trajectory"])

WHO = (
    " Only the two partners; coordinators of their region may read (403 on changes); "
    "anyone else gets 404."
)


@dataclass(frozen=True, slots=True)
class Access:
    match: Match
    viewer: User
    is_partner: bool  # False: a coordinator of the pair's region, read-only


def match_access(match_id: int, user: CurrentUser, session: RequestSession) -> Access:
    """The match for one of its partners, or read-only for a coordinator of its region."""
    match = session.get(Match, id_in_range(match_id))
    if match is None or user.id is None:
        raise NotFound()
    if match.involves(user.id):
        return Access(match, user, is_partner=True)
    if user.role in (Role.coordinator, Role.admin):
        match_in_scope(session, scope_of(session, user), match_id)  # 404 outside my regions
        return Access(match, user, is_partner=False)
    raise NotFound()


def partner_access(access: Annotated[Access, Depends(match_access)]) -> Access:
    """Only the partners change a trajectory."""
    if not access.is_partner:
        raise Forbidden(TRAJECTORY_READ_ONLY)
    return access


ReadAccess = Annotated[Access, Depends(match_access)]
WriteAccess = Annotated[Access, Depends(partner_access)]


# --- plan ---------------------------------------------------------------------------------------


@router.get(
    "/{match_id}/plan",
    response_model=PlanOut,
    summary="Plan van het koppel",
    description="Goals (mine, my partner's, joint), planned meetings, hours target and planned "
    "activities, start and planned end. Until one of the partners stores a plan, a default "
    "derived from the match and both profiles is returned (`stored: false`)." + WHO,
    responses=problem_responses(401, 404),
)
def read_plan(access: ReadAccess, session: ReadSession) -> PlanOut:
    plan, stored = service.get_plan(session, access.match, unseen=_unseen(session, access))
    return plan_out(
        plan, stored=stored, match=access.match, viewer=access.viewer, is_partner=access.is_partner
    )


def _unseen(session: Session, access: Access) -> frozenset[int]:
    """The partner, if the viewer may no longer see their live profile (after a block)."""
    if not access.is_partner or access.viewer.id is None:
        return frozenset()  # coordinators follow the pair: both public cards
    partner_id = access.match.partner_of(access.viewer.id)
    sights = visibility.partner_sights(
        session, viewer_id=access.viewer.id, partner_ids=[partner_id]
    )
    return frozenset() if sights[partner_id].shows_card else frozenset({partner_id})


@router.put(
    "/{match_id}/plan",
    response_model=PlanOut,
    summary="Plan vastleggen",
    description="Store the plan (werkafspraken). Either partner may; `my_goals` sets only my "
    "own goals (left out: unchanged). `planned_end` must be 3–6 months after `start_date` and "
    "in the future; it becomes the match's `ends_at`. 409 once the match has ended or "
    "completed." + WHO,
    responses=problem_responses(401, 403, 404, TRAJECTORY_CLOSED, 422),
)
def put_plan(access: WriteAccess, session: WriteSession, body: PlanIn) -> PlanOut:
    plan = service.put_plan(session=session, match=access.match, by=access.viewer, body=body)
    return plan_out(
        plan, stored=True, match=access.match, viewer=access.viewer, is_partner=access.is_partner
    )


# --- meetings -----------------------------------------------------------------------------------


@router.post(
    "/{match_id}/meetings",
    status_code=status.HTTP_201_CREATED,
    response_model=MeetingOut,
    summary="Ontmoeting vastleggen",
    description="Log a meeting or activity: its date (not in the future, not before the "
    "match), hours (0.5–12), activity code and an optional note. Either partner can log; "
    "409 unless the match is in its trial or active." + WHO,
    responses=problem_responses(401, 403, 404, TRAJECTORY_CLOSED, 422),
)
def create_meeting(access: WriteAccess, session: WriteSession, body: MeetingIn) -> MeetingOut:
    meeting = service.log_meeting(session=session, match=access.match, by=access.viewer, body=body)
    return meeting_out(meeting, access.viewer)


@router.get(
    "/{match_id}/meetings",
    response_model=Page[MeetingOut],
    summary="Ontmoetingen",
    description="The pair's meetings, newest first." + WHO,
    responses=problem_responses(401, 404, 422),
)
def list_meetings(access: ReadAccess, session: ReadSession, page: PageDep) -> Page[MeetingOut]:
    rows = service.list_meetings(
        session=session,
        match=access.match,
        after=page.after(BY_DATE),
        limit=page.limit,
    )
    items, cursor = page_of(
        rows,
        page.limit,
        lambda m: meeting_out(m, access.viewer),
        lambda m: [m.held_on.isoformat(), m.id],
    )
    return Page[MeetingOut](items=items, next_cursor=cursor)


# --- progress -----------------------------------------------------------------------------------


@router.get(
    "/{match_id}/progress",
    response_model=ProgressOut,
    summary="Voortgang",
    description="Hours logged against the target, meetings, the hours expected by today at "
    "the plan's pace and whether the pair is on track (at least 75% of that, always in the "
    "first two weeks). Of participants under ~10 hours none reached their goals: falling "
    "behind shows here early." + WHO,
    responses=problem_responses(401, 404),
)
def read_progress(access: ReadAccess, session: ReadSession) -> ProgressOut:
    current = service.progress(session, access.match)
    return ProgressOut.model_validate(current, from_attributes=True)


# --- evaluations --------------------------------------------------------------------------------


@router.post(
    "/{match_id}/evaluations",
    status_code=status.HTTP_201_CREATED,
    response_model=EvaluationOut,
    summary="Evaluatie invullen",
    description="File my midterm (tussenmeting, during trial or active: 1–5 scales) or final "
    "evaluation (nameting, once active or completed). Once per kind: 409 on the second. The "
    "answers are private to me and the coordinators; my partner sees only that I filed. When "
    "both have filed the final evaluation, an active match is completed." + WHO,
    responses=problem_responses(
        401, 403, 404, MIDTERM_NOT_ONGOING, FINAL_NOT_ACTIVE, EVALUATION_FILED, 422
    ),
)
def create_evaluation(
    access: WriteAccess, session: WriteSession, body: Annotated[EvaluationIn, Body()]
) -> EvaluationOut:
    evaluation = service.file_evaluation(
        session=session, match=access.match, by=access.viewer, body=body
    )
    return evaluation_out(
        access.match,
        access.viewer,
        evaluation.author_id,
        evaluation.kind,
        evaluation,
        show_answers=True,
    )


@router.get(
    "/{match_id}/evaluations",
    response_model=Page[EvaluationOut],
    summary="Evaluaties",
    description="Four entries: each partner's midterm and final, with `filed`. A partner sees "
    "their own answers and only whether the other filed; coordinators see all answers. Mine "
    "first (coordinators: teacher first); never more than one page." + WHO,
    responses=problem_responses(401, 404),
)
def list_evaluations(access: ReadAccess, session: ReadSession) -> Page[EvaluationOut]:
    filed = service.evaluations_of(session, access.match)
    items = evaluations_view(access.match, access.viewer, is_partner=access.is_partner, filed=filed)
    return Page[EvaluationOut](items=items, next_cursor=None)
