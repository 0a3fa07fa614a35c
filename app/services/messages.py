"""The conversation of a match (berichten): send, page through, mark read, count unread.

Who may read or write is decided by `visibility.conversation` (the one rule); this module
applies it. A send is idempotent per (match, sender, client_id), enforced by the unique
constraint `uq_messages_client_id` and inserted with ON CONFLICT DO NOTHING, so a retry that
races the original on another process stores nothing twice and never fails.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from app import clock, ratelimit
from app.config import get_settings
from app.errors import CLIENT_ID_REUSED, CONVERSATION_CLOSED, MESSAGE_RATE_LIMIT, Conflict, NotFound
from app.models import Block, Event, Match, MatchRead, Message, Role, User
from app.services import events, visibility
from app.services import matches as match_service
from app.services import notifications as notification_service
from app.services.visibility import Conversation, ConversationFacts


def message_limit() -> ratelimit.Limit:
    return ratelimit.Limit(
        "messages-sender", get_settings().messages_per_minute, 60, MESSAGE_RATE_LIMIT
    )


@dataclass(frozen=True, slots=True)
class Sent:
    message: Message
    created: bool  # False: a retry of a message already stored


def open_conversation(session: Session, *, viewer: User, match: Match) -> ConversationFacts:
    """The facts of the viewer's access to this conversation; 404 unless they may read it."""
    facts = visibility.conversation_facts(session, viewer=viewer, match=match)
    if not visibility.conversation(facts).readable:
        raise NotFound()
    return facts


def readable(session: Session, *, viewer: User, match: Match) -> Conversation:
    """The viewer's access to this conversation; 404 unless they may at least read it."""
    return visibility.conversation(open_conversation(session, viewer=viewer, match=match))


def send_message(
    *, session: Session, match: Match, sender: User, body: str, client_id: str
) -> Sent:
    """Store a message from one partner to the other (committed), or find its earlier send.

    Order: 404 without access; a retry (same client_id) answers the stored message whatever
    happened since (409 if the body differs); 409 when the conversation is closed; then the
    sender's rate limit counts this send (one `hit`), and the write is decided again under
    the match's row lock, which an exit, a block or an erasure also takes.
    """
    assert match.id is not None and sender.id is not None
    match_id, sender_id = match.id, sender.id
    access = readable(session, viewer=sender, match=match)
    earlier = _by_client_id(session, match_id, sender_id, client_id)
    if earlier is not None:
        return _retried(earlier, body)
    if access is not Conversation.write:
        raise Conflict(CONVERSATION_CLOSED)
    if session.get_bind().dialect.name == "sqlite":
        session.rollback()  # release SQLite's write lock before the counter takes it
    ratelimit.hit(message_limit(), str(sender_id))
    _lock_match_shared(session, match)
    access = visibility.conversation_of(session, viewer=sender, match=match)
    if not access.readable:
        raise NotFound()
    if access is not Conversation.write:
        raise Conflict(CONVERSATION_CLOSED)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.execute(
        dialect.insert(Message)
        .values(
            match_id=match_id,
            sender_id=sender_id,
            client_id=client_id,
            body=body,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["match_id", "sender_id", "client_id"])
        .returning(col(Message.id))
    ).scalar_one_or_none()
    if inserted is None:  # the same send, from another process, won a moment ago
        session.rollback()
        earlier = _by_client_id(session, match_id, sender_id, client_id)
        assert earlier is not None
        return _retried(earlier, body)
    message = session.get(Message, inserted)
    assert message is not None
    recipient = match.partner_of(sender_id)
    # The recipient's stream (and, without one, a push naming only the sender's first name):
    # the message is theirs to see. Then their new unread counts.
    events.emit(session, user_id=recipient, type="message", data=message_event(message))
    notification_service.emit_unread(session, user_id=recipient)
    session.commit()
    return Sent(message, created=True)


def message_event(message: Message) -> dict[str, Any]:
    """A `message` live event: the message as its recipient lists it (not theirs: no
    client_id)."""
    return {
        "id": message.id,
        "match_id": message.match_id,
        "sender_id": message.sender_id,
        "mine": False,
        "body": message.body,
        "removed": message.body is None,
        "client_id": None,
        "created_at": clock.as_utc(message.created_at).isoformat(),
    }


def _retried(earlier: Message, body: str) -> Sent:
    if earlier.body is not None and earlier.body != body:
        raise Conflict(CLIENT_ID_REUSED)
    return Sent(earlier, created=False)


def _by_client_id(
    session: Session, match_id: int, sender_id: int, client_id: str
) -> Message | None:
    return session.scalar(
        select(Message).where(
            col(Message.match_id) == match_id,
            col(Message.sender_id) == sender_id,
            col(Message.client_id) == client_id,
        )
    )


def _lock_match_shared(session: Session, match: Match) -> None:
    """Re-read the match under a shared row lock: sends don't wait for each other, but an
    exit, block or erasure (which lock it for update) is either before or after this send.
    On SQLite the transaction holds the database write lock already."""
    if session.get_bind().dialect.name != "sqlite":
        session.refresh(match, with_for_update={"read": True})


def list_messages(
    *, session: Session, match_id: int, before: int | None, after: int | None, limit: int
) -> list[Message]:
    """A page (one row more than asked): newest first, or with `after` oldest first."""
    query = select(Message).where(col(Message.match_id) == match_id)
    if after is not None:
        query = query.where(col(Message.id) > after).order_by(col(Message.id))
    else:
        if before is not None:
            query = query.where(col(Message.id) < before)
        query = query.order_by(col(Message.id).desc())
    return list(session.scalars(query.limit(limit + 1)))


def watermark(session: Session, match_id: int, user_id: int) -> int | None:
    return session.scalar(
        select(col(MatchRead.last_read_id)).where(
            col(MatchRead.match_id) == match_id, col(MatchRead.user_id) == user_id
        )
    )


def mark_read(*, session: Session, match: Match, reader: User, up_to_id: int) -> int:
    """Move my read watermark forward to `up_to_id` (never back, never past the newest
    message of this conversation); the watermark now (committed)."""
    assert match.id is not None and reader.id is not None
    match_id, reader_id = match.id, reader.id
    readable(session, viewer=reader, match=match)
    newest = session.scalar(
        select(func.max(col(Message.id))).where(
            col(Message.match_id) == match_id, col(Message.id) <= up_to_id
        )
    )
    if newest is not None:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        statement = dialect.insert(MatchRead).values(
            match_id=match_id, user_id=reader_id, last_read_id=newest
        )
        stored = col(MatchRead.last_read_id)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["match_id", "user_id"],
                set_={
                    "last_read_id": case(
                        (statement.excluded.last_read_id > stored, statement.excluded.last_read_id),
                        else_=stored,
                    )
                },
            )
        )
    now_at = watermark(session, match_id, reader_id) or 0
    if newest is not None:
        # The reader's other devices and open tabs: their new counts.
        notification_service.emit_unread(session, user_id=reader_id)
    session.commit()
    return now_at


def unread_in(session: Session, *, match_id: int, user_id: int, last_read_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                col(Message.match_id) == match_id,
                col(Message.id) > last_read_id,
                col(Message.sender_id) != user_id,
            )
        )
        or 0
    )


@dataclass(frozen=True, slots=True)
class UnreadConversation:
    match_id: int
    unread: int
    last_message_id: int


@dataclass(frozen=True, slots=True)
class Unread:
    conversations: list[UnreadConversation]
    notifications: int

    @property
    def messages(self) -> int:
        return sum(c.unread for c in self.conversations)

    def as_dict(self) -> dict[str, Any]:
        """GET /me/unread's body, which the `unread` live event carries too."""
        return {
            "messages": self.messages,
            "notifications": self.notifications,
            "matches": [
                {"match_id": c.match_id, "unread": c.unread, "last_message_id": c.last_message_id}
                for c in self.conversations
            ],
        }


def unread(session: Session, *, user_id: int) -> Unread:
    """Unread messages per conversation I may read, and unread notifications: two queries.

    Unread = the partner's messages after my read watermark. A conversation I may not read
    (the partner blocked me) counts nothing; `visibility.conversation` decides that. Only
    participants are partners of matches, so anyone else has no conversation rows at all.
    """
    me = user_id
    partner = case(
        (col(Match.teacher_id) == me, col(Match.professional_id)), else_=col(Match.teacher_id)
    )
    blocked_me = exists().where(col(Block.blocker_id) == partner, col(Block.blocked_id) == me)
    rows = session.execute(
        select(col(Match.id), blocked_me, func.count(col(Message.id)), func.max(col(Message.id)))
        .join(Message, col(Message.match_id) == col(Match.id))
        .outerjoin(
            MatchRead, and_(col(MatchRead.match_id) == col(Match.id), col(MatchRead.user_id) == me)
        )
        .where(
            match_service.involving(me),
            col(Message.sender_id) != me,
            col(Message.id) > func.coalesce(col(MatchRead.last_read_id), 0),
        )
        .group_by(col(Match.id), col(Match.teacher_id), col(Match.professional_id))
        .order_by(col(Match.id).desc())
    ).all()
    conversations = [
        UnreadConversation(match_id, int(count), int(last))
        for match_id, by_partner, count, last in rows
        # Whether the conversation is readable does not depend on the match's status, the
        # viewer's own block or an erasure: only a block by the partner hides it.
        if visibility.conversation(
            ConversationFacts(
                viewer_role=Role.participant,
                is_partner=True,
                ongoing=False,
                blocked_by_partner=bool(by_partner),
                blocked_by_viewer=False,
                partner_erased=False,
            )
        ).readable
    ]
    return Unread(conversations, notification_service.unread_count(session, user_id=me))


# --- my data (AVG) ------------------------------------------------------------------------------


def export_for(session: Session, user_id: int) -> dict[str, list[dict[str, object]]]:
    """My own messages (the partner's words are theirs, as with meeting notes) and how far I
    read each conversation."""
    mine = session.scalars(
        select(Message).where(col(Message.sender_id) == user_id).order_by(col(Message.id))
    )
    reads = session.scalars(select(MatchRead).where(col(MatchRead.user_id) == user_id))
    return {
        "messages": [
            {
                "id": m.id,
                "match_id": m.match_id,
                "body": m.body,
                "client_id": m.client_id,
                "created_at": clock.as_utc(m.created_at).isoformat(),
            }
            for m in mine
        ],
        "message_reads": [{"match_id": r.match_id, "last_read_id": r.last_read_id} for r in reads],
    }


def erase_for(session: Session, user_id: int) -> None:
    """Erase my words from conversations (the caller commits): the text of every message I
    sent goes; the message stays in the partner's history as removed, from the former
    participant, so their own messages keep their context. My read watermarks go."""
    session.execute(update(Message).where(col(Message.sender_id) == user_id).values(body=None))
    session.execute(delete(MatchRead).where(col(MatchRead.user_id) == user_id))
    # The partners' stored live events (replayable for a while) carried my words too.
    partner_ids = {
        teacher if professional == user_id else professional
        for teacher, professional in session.execute(
            select(col(Match.teacher_id), col(Match.professional_id)).where(
                match_service.involving(user_id)
            )
        )
    }
    if not partner_ids:
        return
    for stored in session.scalars(
        select(Event).where(
            col(Event.user_id).in_(sorted(partner_ids)), col(Event.type) == "message"
        )
    ):
        if stored.data.get("sender_id") == user_id and stored.data.get("body") is not None:
            stored.data = stored.data | {"body": None, "removed": True}  # new dict: marks dirty
            session.add(stored)


def strip_matches(session: Session, match_ids: Sequence[int | None]) -> None:
    """Retention: the text of every message of these (long finished) matches goes."""
    session.execute(
        update(Message)
        .where(col(Message.match_id).in_(match_ids), col(Message.body).is_not(None))
        .values(body=None)
    )
