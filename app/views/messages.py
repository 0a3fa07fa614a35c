"""A match's conversation as one of its partners sees it."""

from collections.abc import Sequence

from sqlmodel import Session

from app import clock
from app.models import Match, Message
from app.pagination import encode_cursor
from app.schemas.messages import MessageOut, MessagePage
from app.services import visibility
from app.services.messages import watermark
from app.services.visibility import Conversation, ConversationFacts


def message_out(message: Message, viewer_id: int) -> MessageOut:
    mine = message.sender_id == viewer_id
    return MessageOut(
        id=message.id or 0,
        match_id=message.match_id,
        sender_id=message.sender_id,
        mine=mine,
        body=message.body,
        removed=message.body is None,
        client_id=message.client_id if mine else None,
        created_at=clock.as_utc(message.created_at),
    )


def message_page(
    session: Session,
    *,
    match: Match,
    viewer_id: int,
    facts: ConversationFacts,
    rows: Sequence[Message],
    limit: int,
    before_id: int | None,
    after_id: int | None,
) -> MessagePage:
    """A page of messages (`rows`: one more than `limit` if more follow). The partner's read
    receipt only while the viewer sees their card (`visibility`: not after a block or an
    erasure)."""
    assert match.id is not None
    more, rows = len(rows) > limit, rows[:limit]
    next_cursor = encode_cursor([rows[-1].id]) if more and rows else None
    newest: int | None
    if after_id is not None:
        newest = rows[-1].id if rows else after_id
    else:
        newest = rows[0].id if rows else None
    if before_id is not None and rows:
        newest = None  # an older page: what is newest in it is not the newest there is
    partner_id = match.partner_of(viewer_id)
    sight = visibility.conversation_partner_sight(facts, viewer_id=viewer_id, partner_id=partner_id)
    return MessagePage(
        items=[message_out(m, viewer_id) for m in rows],
        next_cursor=next_cursor,
        latest_cursor=encode_cursor([newest]) if newest is not None else None,
        can_write=visibility.conversation(facts) is Conversation.write,
        partner_read_up_to=watermark(session, match.id, partner_id) if sight.shows_card else None,
    )
