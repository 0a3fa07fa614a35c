"""Coordinators (coördinatoren): participants and pairs of their regions, blind matches,
optimal pairing suggestions, statistics and CSV exports. Admins see every region."""

import csv
import itertools
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from app import clock
from app.db import ReadSession, WriteSession, end_transaction
from app.errors import (
    EMAIL_TAKEN,
    ONGOING_MATCH_LIMIT,
    PAIR_BLOCKED,
    PAIR_MATCHED_BEFORE,
    PARTICIPANT_NOT_VERIFIED,
    Invalid,
)
from app.models import Match, Profile, Role, User
from app.pagination import MAX_ID, PageDep, page_of
from app.schemas.common import Page, UtcDateTime, problem_responses
from app.schemas.coordinator import (
    BlindMatchIn,
    CoordinatorMatch,
    ParticipantRow,
    ParticipantStatus,
    PartnerSummary,
    RegionStats,
    StaffIn,
    SuggestedPair,
    SuggestedPerson,
    SuggestionsIn,
    SuggestionsOut,
)
from app.schemas.feed import Breakdown
from app.schemas.matches import MatchStatusLiteral
from app.schemas.profiles import Contact, Photo
from app.schemas.trajectory import ProgressOut
from app.schemas.users import UserPublic
from app.security import Admin, Coordinator, hash_password_bounded
from app.services import accounts, photos, visibility
from app.services import coordinator as service
from app.services.matches import confirmations, effective_status
from app.services.profiles import missing_fields
from app.views import evaluations_view
from app.vocabulary import get_vocabulary

router = APIRouter(prefix="/coordinator", tags=["coordinator"])
admin_router = APIRouter(prefix="/admin", tags=["coordinator"])

RegionQuery = Annotated[
    str | None, Query(max_length=40, description="Region code; default: all mine")
]
SCOPE_NOTE = " Only your regions: anything outside them answers 404; participants get 403."


def _participant_row(
    user: User, profile: Profile | None, current: str, staff: User, scope: service.Scope
) -> ParticipantRow:
    """A participant of my regions (the list is scoped so): with email and contact."""
    sight = visibility.staff_sight(
        viewer=staff, regions=scope.regions, subject=user, profile=profile, follows_pair=False
    )
    reach = sight.shows_contact
    return ParticipantRow(
        id=user.id or 0,
        name=user.name,
        email=user.email if reach else None,
        side=user.side,
        region=profile.region if profile else None,
        place=profile.place if profile else None,
        headline=profile.headline if profile else None,
        organisation=profile.organisation if profile else None,
        status=current,
        complete=bool(profile and profile.complete),
        missing=missing_fields(profile) if profile else ["profile"],
        discoverable=bool(profile and profile.discoverable),
        manager_approval=bool(profile and profile.manager_approval),
        contact=Contact.model_validate(profile.contact)
        if reach and profile and profile.contact
        else None,
        photo=_photo(sight, profile),
        created_at=clock.as_utc(user.created_at),
    )


def _summary(
    facts: service.MatchPage, user_id: int, staff: User, scope: service.Scope
) -> PartnerSummary:
    """A partner of a pair I follow: contact and email only if their own region is mine."""
    user = facts.users[user_id]
    profile = facts.profiles.get(user_id)
    sight = visibility.staff_sight(
        viewer=staff, regions=scope.regions, subject=user, profile=profile, follows_pair=True
    )
    reach = sight.shows_contact
    return PartnerSummary(
        id=user_id,
        name=user.name,
        email=user.email if reach else None,
        region=profile.region if profile and sight.shows_card else None,
        contact=Contact.model_validate(profile.contact)
        if reach and profile and profile.contact
        else None,
        photo=_photo(sight, profile),
    )


def _photo(sight: visibility.Sight, profile: Profile | None) -> Photo | None:
    """The photo goes with the live card (never with a stub)."""
    if not sight.shows_card or profile is None:
        return None
    fields = photos.photo_of(profile)
    return Photo.model_validate(fields) if fields else None


def _match_row(
    facts: service.MatchPage, match: Match, viewer: User, scope: service.Scope
) -> CoordinatorMatch:
    """A match of my regions, from what `load_match_page` read for its page."""
    assert match.id is not None
    now = clock.now()
    progress = facts.progress[match.id]
    current = effective_status(match, now)
    teacher_side = confirmations(match, match.teacher_id)
    return CoordinatorMatch(
        id=match.id or 0,
        status=current,
        origin=match.origin,
        teacher=_summary(facts, match.teacher_id, viewer, scope),
        professional=_summary(facts, match.professional_id, viewer, scope),
        created_at=clock.as_utc(match.created_at),
        trial_ends_at=clock.as_utc(match.trial_ends_at),
        trial_overdue=current == "trial" and clock.as_utc(match.trial_ends_at) <= now,
        at_risk=service.is_at_risk(match, progress, now),
        ends_at=clock.as_utc(match.ends_at),
        teacher_confirmed=teacher_side.mine,
        professional_confirmed=teacher_side.partner,
        ended_at=clock.as_utc(match.ended_at) if match.ended_at else None,
        ended_by=service.ended_by_side(match),
        exit_reason=match.exit_reason,
        exit_note=match.exit_note,
        progress=ProgressOut.model_validate(progress, from_attributes=True),
        evaluations=evaluations_view(
            match, viewer, is_partner=False, filed=facts.evaluations[match.id]
        ),
    )


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
    side: Annotated[Literal["teacher", "professional"] | None, Query()] = None,
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
        rows, page.limit, lambda r: _participant_row(*r, staff, scope), lambda r: [r[0].id]
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
    status_: Annotated[MatchStatusLiteral | None, Query(alias="status")] = None,
    origin: Annotated[Literal["mutual_like", "coordinator"] | None, Query()] = None,
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
        rows, page.limit, lambda m: _match_row(facts, m, staff, scope), lambda m: [m.id]
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
    return _match_row(service.load_match_page(session, [match]), match, staff, scope)


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
    return _match_row(service.load_match_page(session, [match]), match, staff, scope)


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
    pairs, lone_teachers, lone_pros = service.suggestions(
        session=session, scope=service.scope_of(session, staff), region=body.region
    )

    def person(user: User, profile: Profile) -> SuggestedPerson:
        return SuggestedPerson(
            id=user.id or 0, name=user.name, headline=profile.headline, place=profile.place
        )

    return SuggestionsOut(
        region=body.region,
        pairs=[
            SuggestedPair(
                teacher=person(s.teacher, s.teacher_profile),
                professional=person(s.professional, s.professional_profile),
                score=s.score,
                breakdown=Breakdown(
                    subject=s.breakdown[0],
                    motivation=s.breakdown[1],
                    region=s.breakdown[2],
                    availability=s.breakdown[3],
                ),
                reasons=s.reasons,
                distance_km=s.distance_km,
            )
            for s in pairs
        ],
        unpaired_teacher_ids=lone_teachers,
        unpaired_professional_ids=lone_pros,
    )


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


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """Text a participant typed (a name, an organisation) must not run as a spreadsheet
    formula when a coordinator opens the export (CSV injection): prefix such text with '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Line:
    """A file-like object that hands back what csv.writer wrote into it."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


def _csv(
    header: list[str], batches: Iterator[list[list[object]]], filename: str
) -> StreamingResponse:
    """A CSV file sent as it is produced, one batch of rows at a time (never all in memory).

    The first batch is read before the answer starts, so that a refusal (404 for a region
    outside mine) is still an error answer, not a truncated file.
    """
    first = next(batches, [])
    line = _Line()
    writer = csv.writer(line)

    def lines() -> Iterator[str]:
        writer.writerow(header)
        yield line.text
        for batch in itertools.chain([first], batches):
            chunk = []
            for row in batch:
                writer.writerow([_cell(value) for value in row])
                chunk.append(line.text)
            yield "".join(chunk)

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "CSV file"}
}


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
    header = [
        "id",
        "name",
        "email",
        "side",
        "region",
        "place",
        "organisation",
        "status",
        "complete",
        "discoverable",
        "manager_approval",
    ]

    def rows(batch: list[tuple[User, Profile | None, str]]) -> list[list[object]]:
        shown = [_participant_row(u, p, current, staff, scope) for u, p, current in batch]
        return [
            [
                r.id,
                r.name,
                r.email,
                r.side,
                r.region or "",
                r.place or "",
                r.organisation or "",
                r.status,
                r.complete,
                r.discoverable,
                r.manager_approval,
            ]
            for r in shown
        ]

    batches = service.participant_batches(session=session, scope=scope, region=region)
    return _csv(header, map(rows, batches), "participants.csv")


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
    header = [
        "id",
        "status",
        "origin",
        "teacher_id",
        "teacher_name",
        "professional_id",
        "professional_name",
        "created_at",
        "trial_ends_at",
        "ends_at",
        "ended_at",
        "ended_by",
        "exit_reason",
        "at_risk",
    ]

    def rows(batch: list[Match]) -> list[list[object]]:
        facts = service.load_match_page(session, batch)
        shown = [_match_row(facts, m, staff, scope) for m in batch]
        return [
            [
                r.id,
                r.status,
                r.origin,
                r.teacher.id,
                r.teacher.name,
                r.professional.id,
                r.professional.name,
                r.created_at.isoformat(),
                r.trial_ends_at.isoformat(),
                r.ends_at.isoformat(),
                r.ended_at.isoformat() if r.ended_at else "",
                r.ended_by or "",
                r.exit_reason or "",
                r.at_risk,
            ]
            for r in shown
        ]

    batches = service.match_batches(session=session, scope=scope, region=region)
    return _csv(header, map(rows, batches), "matches.csv")


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
    return UserPublic(
        id=user.id or 0,
        email=user.email,
        name=user.name,
        role=user.role,
        side=None,
        regions=sorted(set(body.regions)) if body.role == "coordinator" else [],
        email_verified=user.email_verified,
    )
