"""The models describe exactly the database the migrations build, so that a model change
without its migration fails here, on both databases.

Columns, types, indexes, keys: Alembic's autogenerate comparison (what `alembic check` runs).
CHECK constraints, which Alembic does not compare: the models' constraints are created from
the metadata in a scratch place (a schema of the test database on PostgreSQL, which then
renders both sides the same way; an in-memory database on SQLite) and compared by name and
expression with the migrated database's. The value sets come from the enums (`check_in`), so
a new enum member without a migration that widens the constraint fails too.
"""

import re
from collections.abc import Iterator
from enum import StrEnum

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, Connection, MetaData, create_engine, inspect, text
from sqlmodel import Session, SQLModel, select

from app.db import get_engine
from app.models import MatchStatus, Profile, Role, Side, User
from app.models._types import StrEnumColumn, check_in, render_item

SCRATCH = "models_only"
Checks = dict[tuple[str, str], str]  # (table, constraint name) → expression


@pytest.fixture
def conn() -> Iterator[Connection]:
    """A connection to the migrated test database whose changes are all rolled back."""
    with get_engine().connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


def _pg_checks(conn: Connection, schema: str) -> Checks:
    rows = conn.execute(
        text(
            "SELECT rel.relname, con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con"
            " JOIN pg_class rel ON rel.oid = con.conrelid"
            " JOIN pg_namespace ns ON ns.oid = rel.relnamespace"
            " WHERE con.contype = 'c' AND ns.nspname = :schema"
        ),
        {"schema": schema},
    )
    return {(table, name): definition for table, name, definition in rows}


def _sqlite_checks(conn: Connection) -> Checks:
    inspector = inspect(conn)
    return {
        (table, check["name"]): re.sub(r"\s+", " ", check["sqltext"]).strip()
        for table in inspector.get_table_names()
        for check in inspector.get_check_constraints(table)
    }


def check_differences(conn: Connection, metadata: MetaData) -> list[str]:
    """Every CHECK constraint that the metadata and the migrated database (on `conn`) do not
    have alike: missing on one side, or with another expression."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"CREATE SCHEMA {SCRATCH}"))  # rolled back with `conn`
        metadata.create_all(conn.execution_options(schema_translate_map={None: SCRATCH}))
        wanted, built = _pg_checks(conn, SCRATCH), _pg_checks(conn, "public")
    else:
        scratch = create_engine("sqlite://")
        metadata.create_all(scratch)
        with scratch.connect() as models_only:
            wanted = _sqlite_checks(models_only)
        scratch.dispose()
        built = _sqlite_checks(conn)
    return [
        f"{table}.{name}: models {wanted.get((table, name))!r}, "
        f"migrations {built.get((table, name))!r}"
        for table, name in sorted(set(wanted) | set(built))
        if wanted.get((table, name)) != built.get((table, name))
    ]


def test_the_columns_and_indexes_match_the_migrations(conn: Connection) -> None:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    assert compare_metadata(context, SQLModel.metadata) == []


def test_the_check_constraints_match_the_migrations(conn: Connection) -> None:
    assert check_differences(conn, SQLModel.metadata) == []


class WiderMatchStatus(StrEnum):
    trial = "trial"
    active = "active"
    paused = "paused"  # a member added to the enum, without a migration
    completed = "completed"
    ended = "ended"


def test_an_enum_member_without_its_migration_is_a_difference(conn: Connection) -> None:
    metadata = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(metadata)
    matches = metadata.tables["matches"]
    (old,) = [c for c in matches.constraints if c.name == "ck_matches_status"]
    matches.constraints.discard(old)
    matches.append_constraint(
        CheckConstraint(check_in("status", WiderMatchStatus), name="ck_matches_status")
    )
    differences = check_differences(conn, metadata)
    assert len(differences) == 1 and differences[0].startswith("matches.ck_matches_status:")
    assert "paused" in differences[0]


# Enum columns whose values another table's constraint already limits.
CHECKED_ELSEWHERE = {("profiles", "side")}  # copied from users.side (ck_users_side)


def test_every_enum_column_has_a_constraint_from_its_enum() -> None:
    """So a new member changes a constraint, which the comparison above then catches."""
    enum_columns = [
        (table, column)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, StrEnumColumn)
    ]
    assert len(enum_columns) >= 10
    for table, column in enum_columns:
        if (table.name, column.name) in CHECKED_ELSEWHERE:
            continue
        assert isinstance(column.type, StrEnumColumn)
        wanted = check_in(column.name, column.type.enum)
        expressions = [str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)]
        assert any(wanted in expression for expression in expressions), (
            f"{table.name}.{column.name}: no CHECK constraint with {wanted}"
        )
        assert column.type.length >= max(len(member.value) for member in column.type.enum)


def test_check_in_renders_the_members_in_order() -> None:
    assert check_in("side", Side) == "side IN ('teacher', 'professional')"
    assert check_in("status", MatchStatus) == "status IN ('trial', 'active', 'completed', 'ended')"


def test_enum_columns_load_as_members_and_autogenerate_as_varchar() -> None:
    with Session(get_engine()) as session:
        session.add(User(name="A", role=Role.participant, side="teacher"))  # a str binds too
        session.add(User(name="B", role=Role.admin))
        session.commit()
        session.expunge_all()
        users = {u.name: u for u in session.exec(select(User))}
        assert users["A"].role is Role.participant and users["A"].side is Side.teacher
        assert users["B"].role is Role.admin and users["B"].side is None
        assert session.exec(select(User).where(User.side == Side.teacher)).one().name == "A"
    column = Profile.__table__.c.side  # type: ignore[attr-defined]
    assert render_item("type", column.type, None) == "sa.String(length=16)"
    assert render_item("type", Profile.__table__.c.region.type, None) is False  # type: ignore[attr-defined]
