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
from collections.abc import AsyncIterator, Sequence
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, event, select
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
            await run_in_threadpool(_close, session)
        else:
            _close(session)


def _close(session: Session) -> None:
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
