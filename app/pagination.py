"""Opaque cursors and the `limit`/`cursor` query parameters every list shares."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query

from app.errors import INVALID_CURSOR, Invalid

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns


def _bad_cursor() -> Invalid:
    return Invalid(INVALID_CURSOR.detail, loc=["query", "cursor"], code=INVALID_CURSOR)


def encode_cursor(position: list[Any]) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not isinstance(value, list):
        raise _bad_cursor()
    return value


class PageParams:
    def __init__(self, limit: int = 20, cursor: str | None = None) -> None:
        self.limit = limit
        self.cursor = cursor

    def after_id(self) -> int | None:
        """For lists ordered by id descending: the last id already seen."""
        if self.cursor is None:
            return None
        position = decode_cursor(self.cursor)
        if (
            len(position) != 1
            or not isinstance(position[0], int)
            or isinstance(position[0], bool)
            or not 0 < position[0] <= MAX_ID
        ):
            raise _bad_cursor()
        return int(position[0])


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
