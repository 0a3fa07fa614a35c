"""Engine, the session dependency and the transaction helpers.

Who commits: the services. A request's session is opened by `get_session`; a service that
changes data ends its unit of work with `session.commit()`. Anything raised before that is
rolled back when the session closes, so a rejected request writes nothing.

Locking: on PostgreSQL a service that must not race locks the rows it depends on
(`lock_users`); on SQLite every write request takes the database write lock up front
(`BEGIN IMMEDIATE`), which serialises writers the same way.
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
    _ping_when_idle(engine)
    return engine


# A pooled connection idle for longer than this is pinged before use (a database restart
# drops it); a busy one, reused within milliseconds, is not: `pool_pre_ping` would add a
# round trip to every request. A connection lost in the moment between two uses fails that
# one request (503), and SQLAlchemy then invalidates the rest of the pool.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
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


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Request-scoped session; writes (non-GET) lock SQLite up front.

    async so that it costs no threadpool hops: opening a session does no I/O, and neither
    does closing one whose work was committed (its connection is already back in the pool).
    Only a session still inside a transaction (a read, a rejected write) is closed in the
    threadpool, since that sends a ROLLBACK.

    Closing may run after the answer has been sent; a connection the database dropped in the
    meantime (a restart) must not turn into an error there, so that failure is only logged.
    """
    session = new_session(write=request.method not in ("GET", "HEAD", "OPTIONS"))
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(close_session, session)
        else:
            close_session(session)


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


SessionDep = Annotated[Session, Depends(get_session)]


def begin_write(session: Session) -> None:
    """End the session's (read) transaction and begin one that will write.

    For a read request that turns out to have something to write: on SQLite the new
    transaction takes the write lock up front, instead of upgrading a read snapshot that
    another writer may already have made stale.
    """
    session.commit()
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
