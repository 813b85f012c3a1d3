"""SQL building blocks that give the same answer on SQLite and PostgreSQL, and small shared helpers."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.core.models import Service
from queue_app.core.site import current_site


def _dialect() -> str:
    return db.engine.dialect.name


def seconds(start: sa.ColumnElement, end: sa.ColumnElement) -> sa.ColumnElement[float]:
    """``end - start`` in seconds, exact to the millisecond on both databases.

    SQLite's ``julianday`` carries float noise of ~1e-5 s, enough to put a wait of exactly the
    target on the wrong side of it, so it is rounded to milliseconds. PostgreSQL's ``date_part`` gives
    a float8 computed from whole microseconds, exact at these magnitudes (and far cheaper than the
    numeric ``extract``).
    """
    if _dialect() == "postgresql":
        return sa.func.date_part("epoch", end - start)  # float8: numeric arithmetic is several times slower
    return sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0, 3)


def local_hour(col: sa.ColumnElement, offset_minutes: int) -> sa.ColumnElement[int]:
    """Hour of day (0-23) of a stored UTC instant in the site's zone (fixed offset for the range)."""
    if _dialect() == "postgresql":
        return sa.cast(sa.func.extract("hour", col + sa.text(f"interval '{int(offset_minutes)} minutes'")),
                       sa.Integer)
    return sa.cast(sa.func.strftime("%H", col, f"{int(offset_minutes):+d} minutes"), sa.Integer)


def _offset_minutes(day: date) -> int:
    """The site's UTC offset at noon of ``day`` (Indonesia has no DST, so it is the same all year)."""
    tz = current_site().tz
    off = datetime.combine(day, datetime.min.time().replace(hour=12), tz).utcoffset() or timedelta(0)
    return int(off.total_seconds() // 60)


def _p90_rank(n: sa.ColumnElement) -> sa.ColumnElement[int]:
    """ceil(0.9 n) with integer arithmetic (SQLite has no ceil without its math extension)."""
    return (9 * n + 9) // 10


def _services(agency_id: int | None) -> list[Service]:
    stmt = sa.select(Service).order_by(Service.active.desc(), Service.position, Service.code)
    if agency_id is not None:
        stmt = stmt.where(Service.agency_id == agency_id)
    return list(db.session.scalars(stmt))


def _as_utc(value: Any) -> datetime | None:
    """``min()`` over a UTC column comes back raw (naive, or a string on SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _round(value: float | None) -> int | None:
    return None if value is None else int(math.floor(float(value) + 0.5))


def _pct(part: int | None, whole: int | None) -> float | None:
    if not whole:
        return None
    return round(100.0 * float(part or 0) / float(whole), 1)


