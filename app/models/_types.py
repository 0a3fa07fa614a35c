"""Column helpers shared by the table models."""

from typing import Any

from sqlalchemy import JSON, Column, DateTime
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
