"""The conversation of a match (berichten) and my unread counts.

Only the two partners (anyone else: 404, coordinators included: they do not read
conversations). Who may read and write is `app/services/visibility.py::conversation`.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.db import ReadSession, WriteSession
from app.errors import Invalid
from app.pagination import BY_ID
from app.schemas.common import problem_responses
from app.schemas.messages import (
    MessageIn,
    MessageOut,
    MessagePage,
    ReadIn,
    ReadOut,
    UnreadMatch,
    UnreadOut,
)
from app.security import CurrentUser, OwnedMatch
from app.services import messages as service
from app.services.time_events import emit_due_notifications
from app.views.messages import message_out, message_page

router = APIRouter()

WHO = (
    " Only the two partners: they write while the match is in trial or active; afterwards "
    "both keep the history, read-only. After a block the blocked person loses access (404) "
    "and the blocker keeps the history read-only. Anyone else, coordinators included: 404."
)

CursorParam = Annotated[
    str | None,
    Query(max_length=200, description="Opaque cursor from `next_cursor` or `latest_cursor`."),
]
BOTH_DIRECTIONS = "Use either `before` or `after`, not both."


@router.post(
    "/matches/{match_id}/messages",
    tags=["messages"],
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    summary="Bericht sturen",
    description="Send a message to my partner. `client_id` is the app's idempotency key: a "
    "retry with the same `client_id` (and body) stores nothing new and answers 200 with the "
    "stored message; the same `client_id` with another body is 409. 409 too once the match "
    "is no longer ongoing. At most `MESSAGES_PER_MINUTE` sends per sender (429)." + WHO,
    responses=problem_responses(
        401,
        404,
        409,
        422,
        429,
        extra={200: {"model": MessageOut, "description": "A retry: the stored message"}},
    ),
)
def create_message(
    match: OwnedMatch, user: CurrentUser, session: WriteSession, body: MessageIn, response: Response
) -> MessageOut:
    assert user.id is not None
    viewer_id = user.id
    sent = service.send_message(
        session=session, match=match, sender=user, body=body.body, client_id=body.client_id
    )
    if not sent.created:
        response.status_code = status.HTTP_200_OK
    return message_out(sent.message, viewer_id)


@router.get(
    "/matches/{match_id}/messages",
    tags=["messages"],
    response_model=MessagePage,
    summary="Berichten van het gesprek",
    description="Newest first; `next_cursor` as `before` goes further back. To catch up, pass "
    "`latest_cursor` (or a `next_cursor` of a catch-up page) as `after`: newer messages, oldest "
    "first." + WHO,
    responses=problem_responses(401, 404, 422),
)
def list_messages(
    match: OwnedMatch,
    user: CurrentUser,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size (1–100).")] = 20,
    before: CursorParam = None,
    after: CursorParam = None,
) -> MessagePage:
    assert user.id is not None and match.id is not None
    viewer_id, match_id = user.id, match.id
    if before is not None and after is not None:
        raise Invalid(BOTH_DIRECTIONS, loc=["query", "after"])
    before_id = BY_ID.decode(before, param="before")[0] if before is not None else None
    after_id = BY_ID.decode(after, param="after")[0] if after is not None else None
    facts = service.open_conversation(session, viewer=user, match=match)
    rows = service.list_messages(
        session=session, match_id=match_id, before=before_id, after=after_id, limit=limit
    )
    return message_page(
        session,
        match=match,
        viewer_id=viewer_id,
        facts=facts,
        rows=rows,
        limit=limit,
        before_id=before_id,
        after_id=after_id,
    )


@router.post(
    "/matches/{match_id}/messages/read",
    tags=["messages"],
    response_model=ReadOut,
    summary="Gelezen tot en met",
    description="Read receipt: every message up to `up_to_id` is read. The watermark never "
    "moves back and never past the conversation's newest message. Allowed as long as I may "
    "read the conversation." + WHO,
    responses=problem_responses(401, 404, 422),
)
def mark_read(match: OwnedMatch, user: CurrentUser, session: WriteSession, body: ReadIn) -> ReadOut:
    assert user.id is not None and match.id is not None
    viewer_id, match_id = user.id, match.id
    last = service.mark_read(session=session, match=match, reader=user, up_to_id=body.up_to_id)
    return ReadOut(
        match_id=match_id,
        last_read_id=last,
        unread=service.unread_in(session, match_id=match_id, user_id=viewer_id, last_read_id=last),
    )


@router.get(
    "/me/unread",
    response_model=UnreadOut,
    tags=["notifications"],
    summary="Ongelezen berichten en meldingen",
    description="Unread messages per conversation (only those with any) and unread "
    "notifications (time-based ones that have come due included), in one cheap call: poll "
    "it for a badge instead of the lists. A conversation I may no longer read (the partner "
    "blocked me) counts nothing.",
    responses=problem_responses(401),
)
def my_unread(user: CurrentUser, session: ReadSession) -> UnreadOut:
    assert user.id is not None
    # Rarely writes (a reminder that came due): a read session with begin_write, see app/db.py.
    emit_due_notifications(session=session, user_id=user.id)
    counts = service.unread(session, user_id=user.id)
    return UnreadOut(
        messages=counts.messages,
        notifications=counts.notifications,
        matches=[
            UnreadMatch(match_id=c.match_id, unread=c.unread, last_message_id=c.last_message_id)
            for c in counts.conversations
        ],
    )
