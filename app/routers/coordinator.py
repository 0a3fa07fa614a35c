"""Coordinators (coördinatoren): participants and pairs of their regions, blind matches,
optimal pairing suggestions, statistics and CSV exports. Admins see every region."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from app.db import ReadSession, WriteSession, end_transaction
from app.errors import (
    EMAIL_TAKEN,
    ONGOING_MATCH_LIMIT,
    PAIR_BLOCKED,
    PAIR_MATCHED_BEFORE,
    PARTICIPANT_NOT_VERIFIED,
    Invalid,
)
from app.models import Role
from app.pagination import MAX_ID, PageDep, page_of
from app.schemas.common import Page, UtcDateTime, problem_responses
from app.schemas.coordinator import (
    BlindMatchIn,
    CoordinatorMatch,
    ParticipantRow,
    ParticipantStatus,
    RegionStats,
    StaffIn,
    SuggestionsIn,
    SuggestionsOut,
)
from app.schemas.enums import MatchOriginValue, MatchStatusValue, SideValue
from app.schemas.users import UserPublic
from app.security import Admin, Coordinator, hash_password_bounded
from app.services import accounts, photos
from app.services import coordinator as service
from app.views.coordinator import (
    MATCH_COLUMNS,
    PARTICIPANT_COLUMNS,
    match_lines,
    match_row,
    participant_lines,
    participant_row,
    staff_out,
    suggestions_out,
)
from app.views.csv_export import CSV_RESPONSE, csv_response
from app.vocabulary import get_vocabulary

router = APIRouter(prefix="/coordinator", tags=["coordinator"])
admin_router = APIRouter(prefix="/admin", tags=["coordinator"])

RegionQuery = Annotated[
    str | None, Query(max_length=40, description="Region code; default: all mine")
]
SCOPE_NOTE = " Only your regions: anything outside them answers 404; participants get 403."


@router.get(
    "/participants",
    response_model=Page[ParticipantRow],
    summary="Deelnemers in mijn regio's",
    description="Participants of my regions with contact details, profile completeness and "
    "status (no_profile, incomplete, looking, trial, active, completed). Participants without "
    "a profile have no region yet and are listed for admins only." + SCOPE_NOTE,
    responses=problem_responses(401, 403, 404, 422),
)
def list_participants(
    staff: Coordinator,
    session: ReadSession,
    page: PageDep,
    region: RegionQuery = None,
    side: Annotated[SideValue | None, Query()] = None,
    status_: Annotated[ParticipantStatus | None, Query(alias="status")] = None,
) -> Page[ParticipantRow]:
    scope = service.scope_of(session, staff)
    rows = service.list_participants(
        session=session,
        scope=scope,
        region=region,
        side=side,
        status=status_,
        after_id=page.after_id(),
        limit=page.limit,
    )
    items, cursor = page_of(
        rows, page.limit, lambda r: participant_row(*r, staff, scope), lambda r: [r[0].id]
    )
    return Page[ParticipantRow](items=items, next_cursor=cursor)


@router.delete(
    "/participants/{user_id}/photo",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Profielfoto van een deelnemer verwijderen",
    description="Remove a participant's photo (e.g. after a report); its stored images are "
    "deleted and the participant gets a `photo_removed` notification. 204 also when there "
    "was no photo (then nobody is notified)." + SCOPE_NOTE,
    responses=problem_responses(401, 403, 404),
)
def remove_participant_photo(
    user_id: Annotated[int, Path(ge=1, le=MAX_ID)], staff: Coordinator, session: WriteSession
) -> Response:
    scope = service.scope_of(session, staff)
    service.participant_in_scope(session, scope, user_id)
    photos.remove_by_coordinator(session=session, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/matches",
    response_model=Page[CoordinatorMatch],
    summary="Koppels in mijn regio's",
    description="Matches where either partner is in my regions, newest first, with exit "
    "reasons and notes (only coordinators see those). `at_risk`: trial overdue." + SCOPE_NOTE,
    responses=problem_responses(401, 403, 404, 422),
)
def list_matches(
    staff: Coordinator,
    session: ReadSession,
    page: PageDep,
    region: RegionQuery = None,
    status_: Annotated[MatchStatusValue | None, Query(alias="status")] = None,
    origin: Annotated[MatchOriginValue | None, Query()] = None,
    at_risk: Annotated[bool | None, Query()] = None,
) -> Page[CoordinatorMatch]:
    scope = service.scope_of(session, staff)
    rows = service.list_matches(
        session=session,
        scope=scope,
        region=region,
        status=status_,
        origin=origin,
        at_risk=at_risk,
        after_id=page.after_id(),
        limit=page.limit,
    )
    facts = service.load_match_page(session, rows[: page.limit])
    items, cursor = page_of(
        rows, page.limit, lambda m: match_row(facts, m, staff, scope), lambda m: [m.id]
    )
    return Page[CoordinatorMatch](items=items, next_cursor=cursor)


@router.get(
    "/matches/{match_id}",
    response_model=CoordinatorMatch,
    summary="Eén koppel",
    description="One match of my regions." + SCOPE_NOTE,
    responses=problem_responses(401, 403, 404),
)
def read_match(match_id: int, staff: Coordinator, session: ReadSession) -> CoordinatorMatch:
    scope = service.scope_of(session, staff)
    match = service.match_in_scope(session, scope, match_id)
    return match_row(service.load_match_page(session, [match]), match, staff, scope)


@router.post(
    "/matches",
    status_code=status.HTTP_201_CREATED,
    response_model=CoordinatorMatch,
    summary="Blind koppelen",
    description="Pair a teacher and a professional of my regions (origin `coordinator`). It "
    "starts in its trial period and both are notified. 409 when either is at the ongoing-match "
    "limit, they blocked each other, they were matched before, or either has not confirmed "
    "their email address yet." + SCOPE_NOTE,
    responses=problem_responses(
        401,
        403,
        404,
        PARTICIPANT_NOT_VERIFIED,
        PAIR_MATCHED_BEFORE,
        PAIR_BLOCKED,
        ONGOING_MATCH_LIMIT,
        422,
    ),
)
def create_match(body: BlindMatchIn, staff: Coordinator, session: WriteSession) -> CoordinatorMatch:
    scope = service.scope_of(session, staff)
    match = service.blind_match(
        session=session,
        scope=scope,
        coordinator=staff,
        teacher_id=body.teacher_id,
        professional_id=body.professional_id,
    )
    return match_row(service.load_match_page(session, [match]), match, staff, scope)


@router.post(
    "/suggestions",
    response_model=SuggestionsOut,
    summary="Voorstel: beste koppeling van de regio",
    description="The one-to-one pairing of the region's unmatched, discoverable teachers and "
    "professionals with the highest total mutual score, respecting blocks, earlier matches and "
    "travel limits. Applies nothing: make a pair with POST /coordinator/matches." + SCOPE_NOTE,
    responses=problem_responses(401, 403, 404, 422),
)
def suggest(body: SuggestionsIn, staff: Coordinator, session: ReadSession) -> SuggestionsOut:
    scope = service.scope_of(session, staff)
    pairs, lone_teachers, lone_pros = service.suggestions(
        session=session, scope=scope, region=body.region
    )
    return suggestions_out(body.region, pairs, lone_teachers, lone_pros, staff, scope)


@router.get(
    "/stats",
    response_model=RegionStats,
    summary="Cijfers per regio en periode",
    description="Participants per side, likes, mutual and coordinator matches, trial→active "
    "rate, exits by reason. `from`/`to` limit swipes and matches to a period." + SCOPE_NOTE,
    responses=problem_responses(401, 403, 404, 422),
)
def read_stats(
    staff: Coordinator,
    session: ReadSession,
    region: RegionQuery = None,
    period_from: Annotated[UtcDateTime | None, Query(alias="from")] = None,
    period_to: Annotated[UtcDateTime | None, Query(alias="to")] = None,
) -> RegionStats:
    figures = service.stats(
        session=session,
        scope=service.scope_of(session, staff),
        region=region,
        # Already in UTC (UtcDateTime): the database compares wall-clock UTC (SQLite drops
        # the offset).
        period_from=period_from,
        period_to=period_to,
    )
    return RegionStats.model_validate(figures)


@router.get(
    "/export/participants.csv",
    response_class=Response,
    summary="Export deelnemers (CSV)",
    description="All participants of my regions (or one region) as CSV, for reporting."
    + SCOPE_NOTE,
    responses=problem_responses(401, 403, 404, 422, extra=CSV_RESPONSE),
)
def export_participants(
    staff: Coordinator, session: ReadSession, region: RegionQuery = None
) -> Response:
    scope = service.scope_of(session, staff)
    batches = service.participant_batches(session=session, scope=scope, region=region)
    lines = (participant_lines(batch, staff, scope) for batch in batches)
    return csv_response(PARTICIPANT_COLUMNS, lines, "participants.csv")


@router.get(
    "/export/matches.csv",
    response_class=Response,
    summary="Export koppels (CSV)",
    description="All matches of my regions (or one region) as CSV, with exit reasons." + SCOPE_NOTE,
    responses=problem_responses(401, 403, 404, 422, extra=CSV_RESPONSE),
)
def export_matches(
    staff: Coordinator, session: ReadSession, region: RegionQuery = None
) -> Response:
    scope = service.scope_of(session, staff)
    batches = service.match_batches(session=session, scope=scope, region=region)
    lines = (
        match_lines(service.load_match_page(session, batch), batch, staff, scope)
        for batch in batches
    )
    return csv_response(MATCH_COLUMNS, lines, "matches.csv")


@admin_router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    summary="Coördinator of admin aanmaken (alleen admins)",
    description="Create a coordinator (with at least one region) or an admin. Participants "
    "register themselves; staff accounts are never self-registered.",
    responses=problem_responses(401, 403, EMAIL_TAKEN, 422),
)
async def create_staff(body: StaffIn, admin: Admin, session: WriteSession) -> UserPublic:
    unknown = sorted(set(body.regions) - get_vocabulary().region_codes)
    if unknown:
        raise Invalid(f"unknown region(s): {', '.join(unknown)}", loc=["body", "regions"])
    if body.role == "coordinator" and not body.regions:
        raise Invalid("a coordinator needs at least one region", loc=["body", "regions"])
    # Loading the admin began a transaction: end it, so no connection waits for the hash.
    await run_in_threadpool(end_transaction, session)
    password_hash = await hash_password_bounded(body.password)
    user = await run_in_threadpool(
        accounts.create_user,
        session=session,
        email=str(body.email),
        password_hash=password_hash,
        name=body.name,
        role=Role(body.role),
        regions=body.regions if body.role == "coordinator" else None,
    )
    return staff_out(user, body.regions if body.role == "coordinator" else [])
