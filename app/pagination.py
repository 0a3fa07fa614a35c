"""Opaque cursors and the `limit`/`cursor` query parameters every list shares."""

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query

from app.errors import INVALID_CURSOR, Invalid
from app.schemas.common import MAX_DATE, MIN_DATE

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns


BAD_CURSOR = INVALID_CURSOR.detail


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
    return Invalid(BAD_CURSOR, loc=["query", param], code=INVALID_CURSOR)


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


def cursor_timestamp(value: Any) -> datetime:
    """A moment written in ISO 8601 (as the list wrote it), read as UTC."""
    if type(value) is not str or not 19 <= len(value) <= 40 or value[10] != "T":
        raise ValueError
    moment = datetime.fromisoformat(value)
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if not MIN_DATE <= moment.date() <= MAX_DATE:
        raise ValueError
    return moment


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


BY_DATE = CursorShape(cursor_date, cursor_id)  # meetings: newest date first, then id
BY_TIME = CursorShape(cursor_timestamp, cursor_id)  # my blocks: newest first, then user id


# --- The feed's cursor: the cards this pass through the deck has shown -------------------------
#
# The feed's rule (app/services/feed.py): each page is the best `limit` cards of the deck as it
# is now, among those this pass has not shown yet. So paging never repeats a card and never
# skips one, whatever changed between two pages (the viewer's or a candidate's profile, a
# congestion price): a card that rose above those already shown comes on the next page. The
# cursor carries the ids shown and not swiped since (swiped ones leave the deck anyway), as
# sorted deltas in LEB128 varints after a version byte, base64url: about 1-2 bytes an id.

FEED_CURSOR_VERSION = 1
MAX_SHOWN = 500  # cards shown and not swiped that one pass remembers
FEED_CURSOR_MAX_LENGTH = 4096  # characters: MAX_SHOWN ids of any size fit (at most 3,336)


def encode_shown(ids: Iterable[int]) -> str:
    """The feed cursor for this set of shown card ids (at most MAX_SHOWN)."""
    out = bytearray([FEED_CURSOR_VERSION])
    previous = 0
    for value in sorted(set(ids)):
        delta = value - previous
        previous = value
        while delta >= 0x80:
            out.append(delta & 0x7F | 0x80)
            delta >>= 7
        out.append(delta)
    return base64.urlsafe_b64encode(bytes(out)).decode().rstrip("=")


def decode_shown(cursor: str, param: str = "cursor") -> list[int]:
    """The ids a feed cursor holds, strictly increasing, each a valid id; 422 for anything
    that `encode_shown` cannot have written."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise _bad_cursor(param) from None
    if not raw or raw[0] != FEED_CURSOR_VERSION:
        raise _bad_cursor(param)
    ids: list[int] = []
    value = delta = shift = 0
    for byte in raw[1:]:
        delta |= (byte & 0x7F) << shift
        shift += 7
        if byte & 0x80:
            if shift >= 35:  # no id needs more than five bytes
                raise _bad_cursor(param)
            continue
        value += delta
        if delta == 0 or value > MAX_ID or len(ids) == MAX_SHOWN:
            raise _bad_cursor(param)
        ids.append(value)
        delta = shift = 0
    if shift:  # a varint cut short
        raise _bad_cursor(param)
    return ids


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


async def feed_page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size (1–100).")] = 20,
    cursor: Annotated[
        str | None,
        Query(
            max_length=FEED_CURSOR_MAX_LENGTH,
            description="Opaque cursor from `next_cursor` (it grows with the cards shown in "
            "this pass through the deck: about 2 characters a card).",
        ),
    ] = None,
) -> PageParams:
    return PageParams(limit, cursor)


FeedPageDep = Annotated[PageParams, Depends(feed_page_params)]


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
