"""My matches: list, read, confirm after the trial, exit without blame."""

from typing import Annotated

from fastapi import APIRouter, Body, Query

from app.db import ReadSession, WriteSession
from app.errors import MATCH_NOT_IN_TRIAL, MATCH_NOT_ONGOING
from app.pagination import PageDep, page_of
from app.schemas.common import Page, problem_responses
from app.schemas.enums import MatchStatusValue
from app.schemas.matches import ExitIn, MatchOut
from app.security import CurrentUser, OwnedMatch, Participant
from app.services import matches as match_service
from app.views import match_view, match_views

router = APIRouter(prefix="/matches", tags=["matches"])


@router.get(
    "",
    response_model=Page[MatchOut],
    summary="Mijn matches",
    description="My matches, newest first. Filter with `status` (trial, active, completed, ended).",
    responses=problem_responses(401, 403, 422),
)
def list_matches(
    user: Participant,
    session: ReadSession,
    page: PageDep,
    status: Annotated[MatchStatusValue | None, Query()] = None,
) -> Page[MatchOut]:
    assert user.id is not None
    rows = match_service.list_matches(
        session=session, user_id=user.id, status=status, after_id=page.after_id(), limit=page.limit
    )
    views = {v.id: v for v in match_views(session, rows[: page.limit], user.id)}
    items, cursor = page_of(rows, page.limit, lambda m: views[m.id or 0], lambda m: [m.id])
    return Page[MatchOut](items=items, next_cursor=cursor)


@router.get(
    "/{match_id}",
    response_model=MatchOut,
    summary="Eén match",
    responses=problem_responses(401, 404),
)
def read_match(match: OwnedMatch, user: CurrentUser, session: ReadSession) -> MatchOut:
    assert user.id is not None
    return match_view(session, match, user.id)


@router.post(
    "/{match_id}/confirm",
    response_model=MatchOut,
    summary="Doorgaan na de proeftijd",
    description="I want to continue after the trial. When both partners have confirmed, the "
    "match becomes `active`. Confirming twice changes nothing; 409 outside the trial.",
    responses=problem_responses(401, 404, MATCH_NOT_IN_TRIAL),
)
def confirm(match: OwnedMatch, user: CurrentUser, session: WriteSession) -> MatchOut:
    assert user.id is not None
    match = match_service.confirm_match(session=session, match=match, by=user)
    return match_view(session, match, user.id)


_NO_REASON = ExitIn()


@router.post(
    "/{match_id}/exit",
    response_model=MatchOut,
    summary="Exit-kaart: stoppen zonder gedoe",
    description="End the match at any time, no reason needed. The partner gets a neutral "
    "message and never sees the reason or note (only coordinators do). Both return to the "
    "pool; this pair is never suggested again; nobody's ranking drops.",
    responses=problem_responses(401, 404, MATCH_NOT_ONGOING, 422),
)
def exit_match(
    match: OwnedMatch,
    user: CurrentUser,
    session: WriteSession,
    body: Annotated[
        ExitIn, Body(description="Optional: the call without a body exits too.")
    ] = _NO_REASON,
) -> MatchOut:
    assert user.id is not None
    match = match_service.exit_match(
        session=session, match=match, by=user, reason=body.reason, note=body.note
    )
    return match_view(session, match, user.id)
