"""Safety reports: a participant files one (and may block in the same call); the
coordinators of the reported person's region read and resolve them.

The reported person is never told. A coordinator sees the reported message's text, and no
other text of the conversation.
"""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.db import ReadSession, WriteSession
from app.models import ReportStatus
from app.pagination import PageDep, page_of
from app.schemas.common import Page, problem_responses
from app.schemas.enums import ReportStatusValue
from app.schemas.reports import (
    CoordinatorReport,
    ReportIn,
    ReportOut,
    ResolveIn,
)
from app.security import Coordinator, Participant
from app.services import reports as service
from app.services.coordinator import scope_of
from app.views.reports import coordinator_report, report_out

router = APIRouter()

SCOPE_NOTE = " Only your regions (the reported person's region when reported): anything "
SCOPE_NOTE += "outside them answers 404; participants get 403."


@router.post(
    "/reports",
    tags=["safety"],
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    summary="Iemand melden",
    description="Report a participant, optionally about our match and one message they sent "
    "me (a conversation I can still read). The coordinators of their region see it, with that "
    "message's text; the reported person is never told. `block: true` also blocks them in the "
    "same call. At most `REPORTS_PER_DAY` reports a day (429).",
    responses=problem_responses(401, 403, 404, 422, 429),
)
def create_report(body: ReportIn, user: Participant, session: WriteSession) -> ReportOut:
    filed = service.file_report(session=session, reporter=user, body=body)
    return report_out(filed.report, blocked=filed.blocked)


@router.get(
    "/coordinator/reports",
    response_model=Page[CoordinatorReport],
    tags=["coordinator"],
    summary="Meldingen van ongewenst gedrag",
    description="Reports about participants of my regions, newest first; open ones by "
    "default (`status=resolved` for the handled ones). With the reported message's text, "
    "and only that message." + SCOPE_NOTE,
    responses=problem_responses(401, 403, 404, 422),
)
def list_reports(
    staff: Coordinator,
    session: ReadSession,
    page: PageDep,
    status: Annotated[ReportStatusValue, Query()] = ReportStatus.open,
    region: Annotated[
        str | None, Query(max_length=40, description="Region code; default: all mine")
    ] = None,
) -> Page[CoordinatorReport]:
    after_id = page.after_id()
    scope = scope_of(session, staff)
    rows = service.list_reports(
        session=session,
        regions=scope.region_filter(region),
        status=status,
        after_id=after_id,
        limit=page.limit,
    )
    items, cursor = page_of(
        rows, page.limit, lambda r: coordinator_report(session, r, staff, scope), lambda r: [r.id]
    )
    return Page[CoordinatorReport](items=items, next_cursor=cursor)


@router.post(
    "/coordinator/reports/{report_id}/resolve",
    response_model=CoordinatorReport,
    tags=["coordinator"],
    summary="Melding afhandelen",
    description="Mark a report handled, with an optional note on how. 409 if it already is."
    + SCOPE_NOTE,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def resolve_report(
    report_id: int, staff: Coordinator, session: WriteSession, body: ResolveIn | None = None
) -> CoordinatorReport:
    scope = scope_of(session, staff)
    report = service.report_in_scope(session, scope, report_id)
    report = service.resolve(
        session=session, report=report, by=staff, note=(body or ResolveIn()).note
    )
    return coordinator_report(session, report, staff, scope)
