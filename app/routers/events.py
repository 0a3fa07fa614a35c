"""Live events: one Server-Sent Events stream per app (`GET /events`), and its ticket."""

import asyncio
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from app import tokens
from app.config import get_settings
from app.db import POOL_STATE_KEY, WriteSession, session_scope
from app.errors import (
    EVENTS_UNAVAILABLE,
    LAST_EVENT_ID_INVALID,
    STREAM_TICKET_INVALID,
    AppError,
    ServiceUnavailable,
    Unauthorized,
)
from app.models import User
from app.schemas.common import problem_responses
from app.schemas.events import TicketOut
from app.security import CurrentUser, oauth2_scheme
from app.services import events as service
from app.services.event_hub import Hub, Subscriber, get_hub

log = logging.getLogger("jobtinder.events")
router = APIRouter(tags=["notifications"])

BATCH = 100


@router.post(
    "/events/ticket",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketOut,
    summary="Ticket voor de live-stream",
    description="A short-lived (EVENTS_TICKET_SECONDS, default 60 s), single-use ticket for "
    "`GET /events?ticket=...`: a browser's EventSource cannot send an Authorization header, "
    "and a long-lived token never goes into a URL. Ask for a new one at every (re)connect.",
    responses=problem_responses(401),
)
def create_ticket(user: CurrentUser, session: WriteSession) -> TicketOut:
    assert user.id is not None
    ticket, lifetime = service.issue_ticket(session, user_id=user.id)
    return TicketOut(ticket=ticket, expires_in=lifetime, url=f"/api/v1/events?ticket={ticket}")


STREAM_DESCRIPTION = """
Server-Sent Events (`text/event-stream`) for the caller: `message`, `notification`,
`match_updated` and `unread`. Each event has an `id` (counting up per user) and one `data`
line of JSON `{id, type, created_at, data}`.

Authenticate with `Authorization: Bearer <access token>` (native apps) or `?ticket=` from
`POST /events/ticket` (browsers). On reconnect, send the last id you received as
`Last-Event-ID` (EventSource does this by itself) or `?last_event_id=`: everything stored
after it is replayed first (kept EVENTS_KEEP_DAYS, default 14 days). Without one, the stream
starts with what happens from now on. A comment line (`: ping`) comes every
EVENTS_HEARTBEAT_SECONDS (15 s); a client that does not read for EVENTS_SLOW_CLIENT_SECONDS
is disconnected; a stream ends after ACCESS_TOKEN_MINUTES (reconnect with a new ticket).
"""


@router.get(
    "/events",
    summary="Live-stream (Server-Sent Events)",
    description=STREAM_DESCRIPTION,
    response_class=Response,
    responses={
        200: {
            "description": "The event stream",
            "content": {
                "text/event-stream": {
                    "schema": {"type": "string"},
                    "example": 'id: 7\nevent: notification\ndata: {"id":7,"type":'
                    '"notification","created_at":"2026-12-01T10:00:00Z","data":{"id":3,'
                    '"type":"match_created","read":false,"data":{"match_id":1}}}\n\n',
                }
            },
        }
    }
    | problem_responses(401, 422),  # type: ignore[operator]
)
async def stream(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    ticket: Annotated[
        str | None,
        Query(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$"),
    ] = None,
    last_event_id: Annotated[int | None, Query(ge=0, le=2**53)] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Response:
    after = last_event_id
    if after is None and last_event_id_header is not None:
        value = last_event_id_header.strip()
        if not value.isdigit() or int(value) > 2**53:
            raise AppError(LAST_EVENT_ID_INVALID)
        after = int(value)
    if ticket is not None:
        user_id = await run_in_threadpool(_claim, ticket)
    elif token:
        user_id = await run_in_threadpool(_bearer_user, token)
    else:
        raise Unauthorized()
    hub = get_hub(request.app)
    if hub is None:  # an app served without its lifespan
        raise ServiceUnavailable(EVENTS_UNAVAILABLE)
    return EventStream(user_id=user_id, after=after, hub=hub, pool=_pool(request))


def _claim(ticket: str) -> int:
    with session_scope(write=True) as session:
        user_id = service.claim_ticket(session, ticket=ticket)
        if user_id is None:
            raise Unauthorized(STREAM_TICKET_INVALID)
        _check_user(session.get(User, user_id))
        return user_id


def _bearer_user(token: str) -> int:
    try:
        claims = tokens.decode_access_token(token)
    except tokens.TokenInvalid:
        raise Unauthorized() from None
    with session_scope() as session:
        user = session.get(User, claims.user_id)
        _check_user(user)
        return claims.user_id


def _check_user(user: User | None) -> None:
    if user is None or user.is_deleted:
        raise Unauthorized()


def _pool(request: Request) -> Any:
    return getattr(request.app.state, POOL_STATE_KEY, None)


class SlowClient(Exception):
    pass


class EventStream(Response):
    """The stream itself, as a plain ASGI response: it controls every write, so a client
    that stops reading is dropped after EVENTS_SLOW_CLIENT_SECONDS instead of piling up."""

    media_type = "text/event-stream"

    def __init__(self, *, user_id: int, after: int | None, hub: Hub, pool: Any) -> None:
        # Not Response.__init__: it would add `content-length: 0`.
        self.status_code = 200
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),
        ]
        self.user_id = user_id
        self.after = after
        self.hub = hub
        self.pool = pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = get_settings()
        slow = settings.events_slow_client_seconds
        heartbeat = settings.events_heartbeat_seconds
        poll_on_heartbeat = service.wake_transport() == "local"
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + settings.access_token_minutes * 60
        subscriber = self.hub.subscribe(self.user_id)
        closed = False

        async def watch_disconnect() -> None:
            nonlocal closed
            while True:
                message: Message = await receive()
                if message["type"] == "http.disconnect":
                    closed = True
                    subscriber.wake.set()
                    return

        async def write(chunk: bytes) -> None:
            try:
                await asyncio.wait_for(
                    send({"type": "http.response.body", "body": chunk, "more_body": True}),
                    timeout=slow,
                )
            except TimeoutError:
                raise SlowClient() from None

        watcher = asyncio.create_task(watch_disconnect())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            after = self.after
            if after is None:
                after = await self._latest()
            await write(b"retry: 2000\n\n")
            must_read = True
            while not closed and not self.hub.closing and loop.time() < ends_at:
                if must_read:
                    subscriber.wake.clear()  # before reading: a wake during the read stays
                    rows = await self._read(after)
                    if rows:
                        await write(b"".join(service.encode_event(row) for row in rows))
                        after = rows[-1].seq
                        if len(rows) == BATCH:
                            continue
                woken = await _wait(subscriber, heartbeat)
                if closed or self.hub.closing:
                    break
                if woken:
                    must_read = True
                else:
                    await write(b": ping\n\n")
                    # Without a cross-process wake-up (SQLite), look at the database anyway.
                    must_read = poll_on_heartbeat
        except SlowClient:
            log.info("event stream of user %s dropped: the client stopped reading", self.user_id)
            return  # the connection is closed without completing the response
        except OSError:
            return
        finally:
            watcher.cancel()
            self.hub.unsubscribe(subscriber)
        if not closed:
            try:
                await asyncio.wait_for(
                    send({"type": "http.response.body", "body": b"", "more_body": False}), slow
                )
            except TimeoutError:
                pass

    async def _read(self, after: int) -> list[service.StoredEvent]:
        if self.pool is not None:
            async with self.pool.connection() as conn:
                cursor = await conn.execute(service.READ_SQL, (self.user_id, after, BATCH))
                return [service.StoredEvent(*row) for row in await cursor.fetchall()]
        return await run_in_threadpool(self._read_sync, after)

    def _read_sync(self, after: int) -> list[service.StoredEvent]:
        with session_scope() as session:
            return service.read_events(session, user_id=self.user_id, after=after, limit=BATCH)

    async def _latest(self) -> int:
        def latest() -> int:
            with session_scope() as session:
                return service.latest_seq(session, user_id=self.user_id)

        return await run_in_threadpool(latest)


async def _wait(subscriber: Subscriber, timeout: float) -> bool:
    """Until woken (True) or `timeout` (False)."""
    try:
        await asyncio.wait_for(subscriber.wake.wait(), timeout)
        return True
    except TimeoutError:
        return False
