"""Engine, the request's session (read or write, declared by the route) and the transaction
helpers.

**Read or write: the route says which.** A route that touches the database asks for exactly
one of two sessions, and its annotation is the whole story:

    def read_match(match: OwnedMatch, session: ReadSession) -> MatchOut: ...
    def confirm(match: OwnedMatch, session: WriteSession) -> MatchOut: ...

Nothing is guessed from the HTTP method: a POST that only reads (coordinator suggestions)
asks for `ReadSession`, and a GET that always writes would ask for `WriteSession`. The
dependencies a route shares with others (`security.get_current_user`, `owned_match`,
`routers.trajectory.match_access`) take `RequestSession`: the same one session per request,
whose kind the *route* decides. Since those dependencies query before the route's own session
parameter is resolved, the kind must be known when the session is created: it is read off the
route's dependency tree (`request.scope["route"].dependant`; once per route, then cached on the
route object) -- `WriteSession` anywhere in the tree makes it a write session, otherwise it is
a read session. A route that uses `RequestSession` without declaring either, or declares both,
is refused when the app is built (`check_session_intents`, called by `create_app`), and
`tests/test_transactions.py` walks every route.

What the two kinds mean:

* a **read session** begins plain transactions (on SQLite: `BEGIN`, so it never waits for,
  nor blocks, a writer) and refuses to write: an ORM flush or an INSERT/UPDATE/DELETE through
  it raises `ReadSessionWrite` -- unless the request calls `begin_write` first, which is how a
  read whose write is rare announces it (see below);
* a **write session** begins its transactions with SQLite's write lock taken up front
  (`BEGIN IMMEDIATE`; on PostgreSQL services lock the rows they depend on, `lock_users`), and
  commits once, at the end of the route, when the route returned without an exception
  (`_write_session` is a yield dependency with `scope="function"`: its exit runs before the
  response is sent, so a client never sees a success whose data was not committed). An
  exception anywhere rolls everything back: a rejected request writes nothing.

Who commits: services `flush()` what they write and leave the commit to the write session
(`notifications.mark_read`/`mark_all_read`, `mail_preferences.update_settings`,
`events.issue_ticket`, `push.subscribe`/`unsubscribe`, `reports.resolve`, `trajectory`
plan/meeting/evaluation, `matches.confirm_match`/`exit_match`, `coordinator.blind_match`).
Live events they emit wake streams only after that commit (`events._after_commit`). Services
that still commit themselves, because something must happen at or after a commit *inside* the
request (the write session's final commit is then a no-op):

* a unique constraint answered at commit as 409 or as an idempotent 200: `swiping.swipe`,
  `accounts.register`, `messages.send_message` (its `client_id`), `outbox.unsubscribe` (410);
* a transaction ended before slow work or a write in a transaction of its own: password
  hashing (`accounts` login, password change/reset, `account_tokens`, staff creation:
  `end_transaction`/`begin_read`), rate-limit counters (`ratelimit.hit` after a rollback:
  `messages.send_message`, `reports.file_report`, verification mails), photo decoding and
  object storage (`photos`: objects are written before, and deleted after, the commit that
  changes the reference);
* process-local state updated only once the data is committed: `sessions.commit_revocation`
  (logout, password change, account erasure);
* not converted yet, for time rather than reason: `swiping.undo_swipe`/`block`/`unblock`
  (`reports.file_report` relies on `block` committing), `profiles.put_profile`/
  `patch_profile` (their `_reread` after the commit detects an erasure that raced them),
  `accounts.erase_account`, `messages.mark_read`. They are correct as they are (they commit
  at their end and do nothing after).

`begin_write(session)`: a *read* route whose write is rare (the time-based reminders that
`GET /notifications` and `GET /me/unread` store when one has come due, a few times per match)
stays a read session -- on SQLite a write session serialises with every writer, and these are
polled -- and calls `begin_write` just before it writes, which ends the read transaction and
begins one that takes the write lock. It is the only sanctioned way for a read session to write.

Sessions outside a request (`session_scope`, `new_session`: the hot paths' general route,
background work, the CLI) say `write=True` themselves and commit themselves.
"""

import logging
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from psycopg import AsyncConnection
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, event, make_url, orm, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlmodel import Session, col, create_engine

from app.config import get_settings

SQLITE_IMMEDIATE = "jobtinder_sqlite_immediate"
log = logging.getLogger("jobtinder")


def _make_engine(url: str) -> Engine:
    settings = get_settings()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=10,
        connect_args={"connect_timeout": 5},
    )
    ping_when_idle(engine)
    return engine


# A pooled connection idle for longer than this is pinged before use (a database restart
# drops it); a busy one, reused within milliseconds, is not: `pool_pre_ping` would add a
# round trip to every request. A connection lost in the moment between two uses fails that
# one request (503), and SQLAlchemy then invalidates the rest of the pool.
PING_AFTER_IDLE_SECONDS = 1.0


def ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: let the pool replace the connection
            raise DisconnectionError() from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@cache
def get_engine() -> Engine:
    return _make_engine(get_settings().database_url)


def new_session(*, write: bool = False) -> Session:
    """A session; `write=True` takes SQLite's write lock when its transaction begins."""
    engine = get_engine()
    if write and engine.dialect.name == "sqlite":
        return Session(engine.execution_options(**{SQLITE_IMMEDIATE: True}))
    return Session(engine)


READ_ONLY = "jobtinder_read_only"  # session.info key: a request's read session


class ReadSessionWrite(RuntimeError):
    """A read session was asked to write: declare `WriteSession`, or call `begin_write`."""


@event.listens_for(Session, "before_flush")
def _refuse_flush(session: orm.Session, _context: Any, _instances: Any) -> None:
    # Only called when the session has changes to flush: costs nothing on reads.
    if session.info.get(READ_ONLY):
        raise ReadSessionWrite("flush in a read session")


@event.listens_for(Session, "do_orm_execute")
def _refuse_dml(state: orm.ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and state.session.info.get(
        READ_ONLY
    ):
        raise ReadSessionWrite("INSERT/UPDATE/DELETE in a read session")


_INTENT_ATTR = "_jobtinder_session_intent"


def route_session_intent(route: Any) -> str | None:
    """ "write", "read", or None (the route uses no request session), from the route's
    dependency tree; computed once per route and kept on the route object."""
    intent: str | None = route.__dict__.get(_INTENT_ATTR, "?")
    if intent == "?":
        intent = _intent_of(route)
        setattr(route, _INTENT_ATTR, intent)
    return intent


def _intent_of(route: Any) -> str | None:
    calls: set[Any] = set()
    todo = [route.dependant]
    while todo:
        dependant = todo.pop()
        calls.add(dependant.call)
        todo.extend(dependant.dependencies)
    declared = {
        intent
        for intent, call in (("read", _read_session), ("write", _write_session))
        if call in calls
    }
    name = getattr(route, "path", None) or getattr(route, "name", repr(route))
    if len(declared) > 1:
        raise RuntimeError(f"{name}: asks for both ReadSession and WriteSession")
    if declared:
        return declared.pop()
    if _request_session in calls:
        raise RuntimeError(
            f"{name}: uses the request's session; declare ReadSession or WriteSession"
        )
    return None


def check_session_intents(app: FastAPI) -> None:
    """Refuse an app with a route whose session intent is ambiguous (see the module's text)."""
    from fastapi.routing import APIRoute, iter_route_contexts

    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            route_session_intent(route)


async def _request_session(request: Request) -> AsyncIterator[Session]:
    """The request's one session, of the kind its route declares.

    async so that it costs no threadpool hops: opening a session does no I/O, and neither
    does closing one whose work was committed (its connection is already back in the pool).
    Only a session still inside a transaction (a read, a rejected write) is closed in the
    threadpool, since that sends a ROLLBACK.

    Closing runs after the answer has been sent; a connection the database dropped in the
    meantime (a restart) must not turn into an error there, so that failure is only logged.
    """
    route = request.scope.get("route")
    if route is None:
        raise RuntimeError("RequestSession outside a route")
    write = route_session_intent(route) == "write"
    session = new_session(write=write)
    if not write:
        session.info[READ_ONLY] = True
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(close_session, session)
        else:
            close_session(session)


RequestSession = Annotated[Session, Depends(_request_session)]
"""The request's session for dependencies shared by read and write routes (the current user,
an owned match): its kind is decided by the route's `ReadSession` or `WriteSession`."""


async def _read_session(session: RequestSession) -> Session:
    return session


async def _write_session(session: RequestSession) -> AsyncIterator[Session]:
    # scope="function" (see WriteSession): this runs before the response is sent.
    try:
        yield session
    except BaseException:
        # A rejected request writes nothing; roll back now, so that SQLite's write lock and
        # PostgreSQL's row locks are released before the error answer goes out.
        if session.in_transaction():
            await run_in_threadpool(close_session, session)
        raise
    if session.in_transaction():
        await run_in_threadpool(session.commit)


ReadSession = Annotated[Session, Depends(_read_session)]
"""A read session: plain transactions, refuses writes (see `begin_write` for a rare one)."""

WriteSession = Annotated[Session, Depends(_write_session, scope="function")]
"""A write session: SQLite's write lock up front; committed when the route returns."""


@contextmanager
def session_scope(*, write: bool = False) -> Iterator[Session]:
    """A session for work outside the request's dependency (threadpool code, startup)."""
    session = new_session(write=write)
    try:
        yield session
    finally:
        close_session(session)


def close_session(session: Session) -> None:
    try:
        session.close()
    except DBAPIError as exc:
        log.warning("closing a session failed: %s", type(exc.orig).__name__)


def begin_write(session: Session) -> None:
    """End the session's (read) transaction and begin one that will write.

    For a read route whose write is rare and conditional (the time-based reminders of
    `GET /notifications` and `GET /me/unread`): declaring `WriteSession` there would make
    every such poll wait for SQLite's write lock. On SQLite the new transaction takes the
    write lock up front, instead of upgrading a read snapshot that another writer may already
    have made stale. It also lifts a request's read session's refusal to write; the caller
    commits what it wrote.
    """
    session.commit()
    session.info.pop(READ_ONLY, None)
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={SQLITE_IMMEDIATE: True})


def begin_read(session: Session) -> None:
    """Begin the session's transaction as a plain read, even in a write request.

    On SQLite a write request's transactions take the write lock up front; a read that must
    not hold it (one done before slow work outside the database) begins without.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={SQLITE_IMMEDIATE: False})


def end_transaction(session: Session) -> None:
    """End the session's transaction, so that its connection goes back to the pool.

    Call it before slow work that needs no database (password hashing): a transaction held
    across it would keep a pooled connection (and on SQLite maybe the write lock) from
    everyone else. Commits, so nothing written so far is lost; the next statement begins a
    new transaction.
    """
    session.commit()


def conflict_insert(session: orm.Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for the session's database that takes ON CONFLICT (`on_conflict_do_nothing`,
    `on_conflict_do_update`): both databases spell the clause alike, only the construct that
    renders it is dialect-specific."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def lock_users(session: Session, user_ids: Sequence[int]) -> None:
    """Serialise writers on these users (PostgreSQL row locks, in id order to avoid deadlock).

    FOR NO KEY UPDATE so that other transactions can still insert rows that merely reference
    these users. On SQLite the transaction already holds the database write lock.
    """
    if session.get_bind().dialect.name == "sqlite":
        return
    from app.models import User

    session.execute(
        select(col(User.id))
        .where(col(User.id).in_(sorted(set(user_ids))))
        .order_by(col(User.id))
        .with_for_update(key_share=True)
    ).all()


# --- The asynchronous pool of the hot paths (PostgreSQL only) -------------------------------
#
# The swipe's common case runs on the event loop on a plain psycopg connection: no threadpool
# hop, no ORM, one round trip (see `services.swiping.try_plain_swipe`). Everything else uses
# the SQLAlchemy engine above. The pool lives as long as the application (opened and closed
# by its lifespan, so it belongs to the event loop that serves requests); when there is none
# (SQLite, or an app served without its lifespan) the hot paths take the general route.

POOL_STATE_KEY = "pg_async_pool"


def libpq_url(url: str) -> str | None:
    """The libpq form of a PostgreSQL DATABASE_URL; None for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def _configure_async_connection(conn: AsyncConnection) -> None:
    set_json_loads(orjson.loads, conn)  # profiles' JSON columns, several per row


async def open_async_pool(app: FastAPI) -> None:
    conninfo = libpq_url(get_settings().database_url)
    if conninfo is None:
        return
    pool: AsyncConnectionPool[AsyncConnection] = AsyncConnectionPool(
        conninfo,
        min_size=0,
        max_size=get_settings().db_pool_size,
        timeout=10,
        kwargs={"autocommit": True, "connect_timeout": 5},
        configure=_configure_async_connection,
        open=False,
        name="hot-paths",
    )
    await pool.open(wait=False)
    setattr(app.state, POOL_STATE_KEY, pool)


async def close_async_pool(app: FastAPI) -> None:
    pool = getattr(app.state, POOL_STATE_KEY, None)
    if pool is not None:
        setattr(app.state, POOL_STATE_KEY, None)
        await pool.close()


def async_pool(request: Request) -> "AsyncConnectionPool[AsyncConnection] | None":
    return getattr(request.app.state, POOL_STATE_KEY, None)
