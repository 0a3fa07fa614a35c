"""My notifications."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app import clock, i18n
from app.db import ReadSession, WriteSession
from app.pagination import MAX_ID, PageDep, id_in_range, page_of
from app.schemas.common import problem_responses
from app.schemas.notifications import NotificationPage, notification_out
from app.security import CurrentUser
from app.services import notifications as service
from app.services.time_events import emit_due_notifications

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get(
    "",
    response_model=NotificationPage,
    summary="Mijn meldingen",
    description="Newest first. Types: match_created, coordinator_match, partner_confirmed, "
    "match_active, match_ended (neutral: never the reason), trial_ending (a few days before "
    "the trial ends), behind_schedule (hours lag the plan's pace; at most once a week). "
    "Time-based ones that have come due are added when you ask, never twice.",
    responses=problem_responses(401, 422),
)
def list_notifications(
    request: Request,
    user: CurrentUser,
    session: ReadSession,
    page: PageDep,
    unread: Annotated[bool | None, Query(description="Only unread (true) or read (false)")] = None,
) -> NotificationPage:
    assert user.id is not None
    user_id, after_id = user.id, page.after_id()  # a bad cursor is rejected before any write
    lang = i18n.for_user(user, request.headers.get("accept-language"))
    # A read route whose write is rare: it stores a reminder only when one came due (then via
    # begin_write, see app/db.py); a WriteSession would make every poll wait for SQLite's lock.
    emit_due_notifications(session=session, user_id=user_id)
    rows = service.list_notifications(
        session=session, user_id=user_id, after_id=after_id, limit=page.limit, unread=unread
    )
    items, cursor = page_of(
        rows,
        page.limit,
        lambda n: notification_out(
            id=n.id or 0,
            type=n.type,
            created_at=clock.as_utc(n.created_at),
            read=n.read_at is not None,
            data=n.data,
            lang=lang,
        ),
        lambda n: [n.id],
    )
    return NotificationPage(items=items, next_cursor=cursor)


@router.post(
    "/{notification_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Melding gelezen",
    responses=problem_responses(401, 404),
)
def mark_read(notification_id: int, user: CurrentUser, session: WriteSession) -> Response:
    assert user.id is not None
    service.mark_read(
        session=session, user_id=user.id, notification_id=id_in_range(notification_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/read-all",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Alle meldingen gelezen",
    description="Mark all my unread notifications read. With `up_to_id` (the newest id the "
    "app has shown) only those up to it, so one that arrived meanwhile stays unread.",
    responses=problem_responses(401, 422),
)
def mark_all_read(
    user: CurrentUser,
    session: WriteSession,
    up_to_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    assert user.id is not None
    service.mark_all_read(session=session, user_id=user.id, up_to_id=up_to_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
