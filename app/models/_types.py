"""Column helpers shared by the table models."""

from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import JSON, Column, DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from app import clock


def utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index),
    )


def created_at_field() -> Any:
    return Field(
        default_factory=clock.now,
        sa_column=Column(DateTime(timezone=True), nullable=False),
    )


def json_field(default_factory: Any = list, *, nullable: bool = False) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=nullable))


class StrEnumColumn(TypeDecorator[StrEnum]):
    """A column that holds one of a StrEnum's values: VARCHAR(length) in the database (not
    a native enum type; the table's CHECK constraint, `check_in`, limits the values), the
    enum's member in Python. Binds a member or its plain string value alike."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum
        self.length = length
        self._members: dict[str, StrEnum] = {member.value: member for member in enum}

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self._members[value]


def enum_field(
    enum: type[StrEnum],
    length: int,
    *,
    default: StrEnum | None = None,
    nullable: bool = False,
) -> Any:
    """A column of `enum`'s values (see StrEnumColumn); pair it with a `check_in` constraint."""
    return Field(default=default, sa_column=Column(StrEnumColumn(enum, length), nullable=nullable))


def sql_values(enum: type[StrEnum]) -> str:
    """`'a', 'b'`: the enum's values as SQL string literals, in the enum's order."""
    return ", ".join(f"'{member.value}'" for member in enum)


def check_in(column: str, enum: type[StrEnum]) -> str:
    """The CHECK expression `column IN ('a', 'b')` for every member of `enum`, so that the
    database allows exactly the values the code has (tests/test_schema_drift.py compares the
    constraints with what the migrations built)."""
    return f"{column} IN ({sql_values(enum)})"


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Alembic's autogenerate hook (migrations/env.py): an enum column is written into a new
    migration as the plain VARCHAR it is in the database (migrations stay free of app code)."""
    if type_ == "type" and isinstance(obj, StrEnumColumn):
        return f"sa.String(length={obj.length})"
    return False
