"""CSV files streamed as they are produced (the coordinators' exports)."""

import csv
import itertools
from collections.abc import Iterator
from typing import Any

from fastapi.responses import StreamingResponse

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "CSV file"}
}

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """Text a participant typed (a name, an organisation) must not run as a spreadsheet
    formula when a coordinator opens the export (CSV injection): prefix such text with '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Line:
    """A file-like object that hands back what csv.writer wrote into it."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


def csv_response(
    header: list[str], batches: Iterator[list[list[object]]], filename: str
) -> StreamingResponse:
    """A CSV file sent as it is produced, one batch of rows at a time (never all in memory).

    The first batch is read before the answer starts, so that a refusal (404 for a region
    outside mine) is still an error answer, not a truncated file.
    """
    first = next(batches, [])
    line = _Line()
    writer = csv.writer(line)

    def lines() -> Iterator[str]:
        writer.writerow(header)
        yield line.text
        for batch in itertools.chain([first], batches):
            chunk = []
            for row in batch:
                writer.writerow([cell(value) for value in row])
                chunk.append(line.text)
            yield "".join(chunk)

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
