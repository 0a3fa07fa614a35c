"""The feature store's freshness, kept by the ORM session itself.

Every API process keeps the ranking features of the discoverable profiles in memory and brings
them up to date from two things the database says (app/services/feature_store.py): the side's
`feature_versions` row (bumped in the same transaction as every change to that side's
profiles) and each profile's `updated_at` (the rows to re-read). Both are set here, by session
events that every writer passes through, so no service has to remember them:

- `before_flush`: a profile added, changed or deleted through the unit of work, and a user
  whose address became verified or unverified (that decides whether their profile is ranked)
  or whose name changed (the feed's cards show it);
- `do_orm_execute`: INSERT, UPDATE and DELETE statements on `profiles` (and UPDATEs of
  `users.email_verified_at` or `users.name`) run through `session.execute`, ORM-enabled or
  plain Core.

Registered on the Session class when `app.models` is imported, so it covers every session
(requests, CLI, tests). What it cannot see is SQL that bypasses the session: text through
`session.connection()` or psql; such a writer must bump the side's version itself (the
migrations do not need to: a process starting after them loads everything afresh).
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Delete, Insert, Update, event, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app import clock
from app.db import conflict_insert
from app.models.profiles import FeatureVersion, Profile
from app.models.users import Side, User

_PROFILES = Profile.__table__  # type: ignore[attr-defined]
_USERS = User.__table__  # type: ignore[attr-defined]
_VERSIONS = FeatureVersion.__table__  # type: ignore[attr-defined]
_ALL_SIDES = tuple(side.value for side in Side)

# Changes a transaction made, by side: True when a profile of the side was deleted.
Changes = dict[str, bool]


def bump_version(session: Session, side: str, *, deletion: bool = False) -> None:
    """Record, in the session's transaction, that a profile of this side changed.

    On the session's connection (Core): it runs inside the session's own events.
    """
    deleted = 1 if deletion else 0
    statement = conflict_insert(session, _VERSIONS).values(
        side=side, version=1, deletions=deleted, prices=0
    )
    session.connection().execute(
        statement.on_conflict_do_update(
            index_elements=["side"],
            set_={
                "version": _VERSIONS.c.version + 1,
                "deletions": _VERSIONS.c.deletions + deleted,
            },
        )
    )


def _bump_all(session: Session, changes: Changes) -> None:
    for side in sorted(changes):  # one order in every transaction: no deadlock between them
        bump_version(session, side, deletion=changes[side])


# A user's columns the feed's card or ranking shows: their profile counts as changed with them.
_USER_COLUMNS_SHOWN = ("email_verified_at", "name")


def _shown_columns_changed(user: User) -> bool:
    attrs = inspect(user).attrs
    return any(getattr(attrs, name).history.has_changes() for name in _USER_COLUMNS_SHOWN)


@event.listens_for(Session, "before_flush")
def _stamp_flushed_profiles(session: Session, _context: UOWTransaction, _objects: Any) -> None:
    changes: Changes = {}
    now: datetime | None = None
    touched: list[Profile] = [obj for obj in session.new if isinstance(obj, Profile)]
    for obj in session.dirty:
        if isinstance(obj, Profile) and session.is_modified(obj):
            touched.append(obj)
        elif isinstance(obj, User) and obj.id is not None and _shown_columns_changed(obj):
            with session.no_autoflush:
                profile = session.get(Profile, obj.id)
            if profile is not None:
                touched.append(profile)
    for profile in touched:
        now = now or clock.now()
        profile.updated_at = now
        changes.setdefault(profile.side, False)
    for obj in session.deleted:
        if isinstance(obj, Profile):
            changes[obj.side] = True
    if changes:
        _bump_all(session, changes)


@event.listens_for(Session, "do_orm_execute")
def _stamp_profile_statements(state: ORMExecuteState) -> Any:
    if state.is_select:
        return None
    statement = state.statement
    if not isinstance(statement, Insert | Update | Delete):
        return None
    table = getattr(statement.table, "name", None)
    if table == _PROFILES.name:
        return _on_profiles(state, statement)
    if table == _USERS.name and isinstance(statement, Update):
        _on_users(state, statement)
    return None


def _on_profiles(state: ORMExecuteState, statement: Insert | Update | Delete) -> Any:
    session = state.session
    many = _rows(state.parameters) if state.is_executemany else None
    if isinstance(statement, Insert):
        sides = {row["side"] for row in many} if many else set(_ALL_SIDES)
    elif many:  # an UPDATE by primary key, one parameter set per row
        sides = _sides_where(session, _PROFILES.c.user_id.in_([row["user_id"] for row in many]))
    else:
        sides = _sides_where(session, statement.whereclause)
    _bump_all(session, dict.fromkeys(sides, isinstance(statement, Delete)))
    if isinstance(statement, Delete):
        return None
    now = clock.now()
    if many:
        return state.invoke_statement(params=[{"updated_at": now} for _ in many])
    state.statement = statement.values(updated_at=now)
    return None


def _on_users(state: ORMExecuteState, statement: Update) -> None:
    """Verifying (or unverifying) addresses, or renaming, by statement: those users'
    profiles changed."""
    if not set(_USER_COLUMNS_SHOWN) & set(_set_columns(statement, state)):
        return
    session = state.session
    users = select(_USERS.c.id)
    if statement.whereclause is not None:
        users = users.where(statement.whereclause)
    if state.is_executemany:
        ids = [row["id"] for row in _rows(state.parameters)]
        users = select(_USERS.c.id).where(_USERS.c.id.in_(ids))
    of_users = _PROFILES.c.user_id.in_(users.scalar_subquery())
    sides = _sides_where(session, of_users)
    if not sides:
        return
    _bump_all(session, dict.fromkeys(sides, False))
    session.connection().execute(update(_PROFILES).where(of_users).values(updated_at=clock.now()))


def _rows(parameters: Any) -> list[Mapping[str, Any]]:
    return list(parameters or [])


def _set_columns(statement: Update, state: ORMExecuteState) -> set[str]:
    named = {getattr(key, "key", key) for key in (statement._values or {})}
    if state.is_executemany:
        for row in _rows(state.parameters):
            named.update(row)
    return {str(name) for name in named}


def _sides_where(session: Session, clause: ColumnElement[bool] | None) -> set[str]:
    """The sides of the profiles a statement with this WHERE clause touches (read first)."""
    if clause is None:
        return set(_ALL_SIDES)
    query = select(_PROFILES.c.side).where(clause).distinct()
    found: Iterable[str] = session.connection().execute(query).scalars()
    return set(found)
