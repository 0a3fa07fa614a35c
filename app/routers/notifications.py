"""My notifications."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app import clock
from app.db import SessionDep
from app.pagination import PageDep, id_in_range, page_of
from app.schemas.common import Page, problem_responses
from app.schemas.notifications import NotificationOut
from app.security import CurrentUser
from app.services import notifications as service
from app.services.time_events import emit_due_notifications

router = APIRouter(prefix="/notifications", tags=["meldingen"])


@router.get(
    "",
    response_model=Page[NotificationOut],
    summary="Mijn meldingen",
    description="Newest first. Types: match_created, coordinator_match, partner_confirmed, "
    "match_active, match_ended (neutral: never the reason), trial_ending (a few days before "
    "the trial ends), behind_schedule (hours lag the plan's pace; at most once a week). "
    "Time-based ones that have come due are added when you ask, never twice.",
    responses=problem_responses(401, 422),
)
def list_notifications(
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    unread: Annotated[bool | None, Query(description="Only unread (true) or read (false)")] = None,
) -> Page[NotificationOut]:
    assert user.id is not None
    user_id, after_id = user.id, page.after_id()  # a bad cursor is rejected before any write
    emit_due_notifications(session=session, user_id=user_id)
    rows = service.list_notifications(
        session=session, user_id=user_id, after_id=after_id, limit=page.limit, unread=unread
    )
    items, cursor = page_of(
        rows,
        page.limit,
        lambda n: NotificationOut(
            id=n.id or 0,
            type=n.type,
            created_at=clock.as_utc(n.created_at),
            read=n.read_at is not None,
            data=n.data,
        ),
        lambda n: [n.id],
    )
    return Page[NotificationOut](items=items, next_cursor=cursor)


@router.post(
    "/{notification_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Melding gelezen",
    responses=problem_responses(401, 404),
)
def mark_read(notification_id: int, user: CurrentUser, session: SessionDep) -> Response:
    assert user.id is not None
    service.mark_read(
        session=session, user_id=user.id, notification_id=id_in_range(notification_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
