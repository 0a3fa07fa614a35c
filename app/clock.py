"""The one clock of the application: timezone-aware UTC, movable by tests."""

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """Current time in UTC, shifted by the test offset (zero in production)."""
    return datetime.now(UTC) + _offset


def offset_seconds() -> float:
    """The test offset in seconds (for hot code that reads `time.time()` itself)."""
    return _offset.total_seconds()


def advance(delta: timedelta) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes: treat them as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
