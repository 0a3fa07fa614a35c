"""Opaque cursors and the `limit`/`cursor` query parameters every list shares."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query

from app.errors import Invalid, NotFound
from app.schemas.common import MAX_DATE, MIN_DATE

# Ids are 32-bit integer columns: anything outside cannot exist, and must not reach the
# database (PostgreSQL raises on an out-of-range parameter, SQLite overflows).
MAX_ID = 2**31 - 1


def id_in_range(value: int) -> int:
    """An id from a URL path: one that no row can have (0, negative, past MAX_ID) is 404,
    exactly like an id that does not exist."""
    if not 0 < value <= MAX_ID:
        raise NotFound()
    return value


BAD_CURSOR = "The cursor is not valid."


def encode_cursor(position: list[Any]) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, param: str = "cursor") -> list[Any]:
    """The raw JSON list inside a cursor; use a `CursorShape` to get validated values.
    `param`: the query parameter it came in (for the 422's `loc`)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise _bad_cursor(param) from None
    if not isinstance(value, list):
        raise _bad_cursor(param)
    return value


def _bad_cursor(param: str = "cursor") -> Invalid:
    return Invalid(BAD_CURSOR, loc=["query", param])


# What a cursor may hold, one checker per kind of value: each returns the value as the query
# needs it, or raises ValueError. A cursor is client input: nothing in it reaches SQL unchecked.


def cursor_id(value: Any) -> int:
    """A row id: a JSON integer (not a boolean) that fits the 32-bit id columns."""
    if type(value) is not int or not 0 < value <= MAX_ID:
        raise ValueError
    return value


def cursor_date(value: Any) -> date:
    """A calendar date written YYYY-MM-DD, within MIN_DATE..MAX_DATE."""
    if type(value) is not str or len(value) != 10:
        raise ValueError
    day = date.fromisoformat(value)
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError
    return day


class CursorShape:
    """The declared shape of one list's cursor: a fixed-length position, one checker per
    element. `decode` answers 422 (loc `query.<param>`, default `cursor`) for anything else."""

    def __init__(self, *fields: Callable[[Any], Any]) -> None:
        self.fields = fields

    def decode(self, cursor: str, *, param: str = "cursor") -> tuple[Any, ...]:
        position = decode_cursor(cursor, param)
        if len(position) != len(self.fields):
            raise _bad_cursor(param)
        try:
            return tuple(check(value) for check, value in zip(self.fields, position, strict=True))
        except ValueError:
            raise _bad_cursor(param) from None


BY_ID = CursorShape(cursor_id)  # lists ordered by id: matches, notifications, messages, ...


def cursor_order_key(value: Any) -> float:
    """The feed's ordering key: a finite number in [-1, 1] (a score minus a congestion price,
    both in [0, 1]; JSON's NaN and Infinity are refused)."""
    if type(value) not in (int, float) or not -1 <= value <= 1:  # NaN fails the comparison
        raise ValueError
    return float(value)


BY_ORDER_KEY = CursorShape(cursor_order_key, cursor_id)  # the feed: ordering key, then id
BY_DATE = CursorShape(cursor_date, cursor_id)  # meetings: newest date first, then id


class PageParams:
    def __init__(self, limit: int = 20, cursor: str | None = None) -> None:
        self.limit = limit
        self.cursor = cursor

    def after_id(self) -> int | None:
        """For lists ordered by id descending: the last id already seen."""
        if self.cursor is None:
            return None
        (after,) = BY_ID.decode(self.cursor)
        return int(after)

    def after(self, shape: CursorShape) -> tuple[Any, ...] | None:
        """The validated position of a list with its own cursor shape."""
        return None if self.cursor is None else shape.decode(self.cursor)


async def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size (1–100).")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=200, description="Opaque cursor from `next_cursor`.")
    ] = None,
) -> PageParams:
    # async: a plain class or function dependency would cost a threadpool hop per request.
    return PageParams(limit, cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


Row = TypeVar("Row")
Item = TypeVar("Item")


def page_of(
    rows: Sequence[Row],
    limit: int,
    to_item: Callable[[Row], Item],
    position: Callable[[Row], list[Any]],
) -> tuple[list[Item], str | None]:
    """Items and next cursor from a query that fetched one row more than the page.

    `position(row)` gives the keyset position of the page's last row for the cursor.
    """
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(position(rows[-1])) if more and rows else None
    return [to_item(row) for row in rows], cursor
