"""The one place that reads the time, so tests can move the clock (day rollover, waits)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_offset = timedelta(0)


def utcnow() -> datetime:
    """Aware UTC now, shifted by the test offset if one is set."""
    return datetime.now(UTC) + _offset


def local_day(tz: ZoneInfo, at: datetime | None = None) -> date:
    """The site's calendar day for an instant: numbering and 'today' follow the site, not UTC."""
    return (at or utcnow()).astimezone(tz).date()


def day_bounds(tz: ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    """UTC [start, end) covering local days first..last inclusive."""
    start = datetime.combine(first, datetime.min.time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    return start, end


def travel(delta: timedelta) -> None:
    """Move the clock by ``delta`` (tests and simulations only)."""
    global _offset
    _offset += delta


def reset() -> None:
    """Undo :func:`travel`."""
    global _offset
    _offset = timedelta(0)
