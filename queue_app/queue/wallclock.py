"""Seconds of serving turned into seconds on the clock: the one place closed time enters the estimate.

The replay (queue_app.queue.estimate) counts work; the calendar's open windows
(:func:`~queue_app.core.calendar.open_windows`) add every break, evening and holiday it crosses.
"""

from __future__ import annotations

import time
from datetime import datetime

import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.calendar import (
    CLOSURES_TTL,
    LOOKAHEAD_DAYS,
    closures,
    consume_open_time,
    epoch_windows,
    open_windows,
)
from queue_app.core.extensions import db
from queue_app.core.hooks import app_cache, declare_cache
from queue_app.core.models import Service
from queue_app.core.site import current_site

CODES = declare_cache(
    "estimate:codes", where=__name__, holds="service id -> code (ids never change meaning)",
    forgotten="when an id is missing (a service added since): read again; never otherwise")
WINDOWS = declare_cache(
    "estimate:windows", where=__name__,
    holds="each service's open windows of the coming days, as epoch seconds, for the estimate's wall clock",
    forgotten="on a new local day, after WINDOWS_TTL seconds, or at once when the calendar hands out a new "
              "closures dict (an admin's closure)")


def _service_codes() -> dict[int, str]:
    """Service id → code, once per app (the calendar speaks codes; ids never change meaning)."""
    codes = app_cache(CODES)
    if not codes:
        codes.update(db.session.execute(sa.select(Service.id, Service.code)).all())
    return codes


class WallClock:
    """Turns seconds of serving into seconds on the clock, from one "now".

    The one place closed time enters the estimate: the replay counts work, the calendar's open windows
    (:func:`~queue_app.core.calendar.open_windows`) add every break, evening and holiday it crosses.
    """

    def __init__(self) -> None:
        self.now = clock.utcnow()
        self.start = self.now.timestamp()
        self.windows: dict[int, tuple[str | None, tuple[tuple[float, float], ...]]] = {}

    def seconds(self, service_id: int, serving: float) -> int:
        hit = self.windows.get(service_id)
        if hit is None:
            code = _service_codes().get(service_id)
            if code is None:  # a service created after the cache was filled
                app_cache(CODES).clear()
                code = _service_codes().get(service_id)
            hit = self.windows[service_id] = (code, _windows(code, self.now))
        end = consume_open_time(hit[1], self.start, serving)
        if end is None:  # past this week's windows (a long holiday season, a very long line): the look-ahead's
            end = consume_open_time(_windows(hit[0], self.now, LOOKAHEAD_DAYS + 1), self.start, serving)
        if end is None:  # no opening left in the look-ahead: plain time, as serving_end counts it
            return max(0, round(serving))
        return max(0, round(end - self.start))


def wall_seconds(service_id: int, serving: float) -> int:
    """Seconds from now until ``serving`` seconds of open time have passed for the service."""
    return WallClock().seconds(service_id, serving)


#: the open windows of a week are kept this long per service (as long as the calendar keeps its closures)
WINDOWS_TTL = CLOSURES_TTL
WINDOW_DAYS = 8


def _windows(code: str | None, now: datetime, days: int = WINDOW_DAYS) -> tuple[tuple[float, float], ...]:
    """The open windows of a service for ``days`` days from today (this week's, or the whole look-ahead for
    the few waits longer than that), computed once per few seconds: after a call the hub estimates every
    waiting ticket, and each would otherwise walk the calendar again; a kiosk tile of a line of 3,000 walked
    32 days of it on every refresh."""
    site = current_site()
    day = now.astimezone(site.tz).date()
    cache = app_cache(WINDOWS)
    hit = cache.get((code, days))
    mono = time.monotonic()
    # the calendar hands out a new closures dict whenever it re-reads them: an admin's closure counts at once
    days_closed = closures()
    if hit is not None and hit[0] == day and hit[3] is days_closed and mono - hit[1] < WINDOWS_TTL:
        return hit[2]
    windows = epoch_windows(open_windows(code, day, days, site))
    cache[(code, days)] = (day, mono, windows, days_closed)
    return windows
