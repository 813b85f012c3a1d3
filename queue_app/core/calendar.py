"""The building's calendar: opening windows per weekday (a service's narrow the site's), holidays, next opening.

Everything here reads config.toml (``[site.hours]``, a service's ``hours``, ``[[holidays]]``) and the
day's closures an admin adds; the kiosk, the ticket verbs, bookings and the estimate all ask the same
questions here, so a Friday-prayer break or a holiday closes every one of them at once.
"""

from __future__ import annotations

import time as monotonic
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.orm import Session

from queue_app.core import hooks
from queue_app.core.hooks import app_cache, declare_cache
from queue_app.core.site import current_site
from queue_app.core.siteconfig import SiteConf, TimeRange

#: a day without ``[site.hours]``: open from midnight to midnight (``end`` excluded)
ALL_DAY = (TimeRange(time.min, time.max),)

#: how far :func:`next_opening` looks ahead (a long holiday season is still found)
LOOKAHEAD_DAYS = 31


@dataclass(frozen=True)
class Opening:
    """Whether a service takes visitors at a moment, and if not why and when it opens again."""

    open: bool
    #: ``"holiday"`` or ``"outside_hours"`` when closed (the contract's 409 codes)
    reason: str | None = None
    #: the holiday's name on a holiday
    holiday: str | None = None
    #: the next moment it opens (aware, site zone), None when open or nothing within the look-ahead
    reopens_at: datetime | None = None


#: how long a process trusts the closures it read; another process's new closure shows within this
CLOSURES_TTL = 5.0
CLOSURES = declare_cache(
    "calendar:closures", where=__name__, holds="the days an admin closed the site, with their reasons",
    forgotten="after CLOSURES_TTL (5 s); at once when this process adds or removes one, and again when that "
              "commits; another process's closure shows within 5 s")


def closures() -> dict[date, str]:
    """The days an admin closed the site (``site_closures``) and their reasons, cached per app for a few
    seconds: the calendar is asked on every tile and ticket, a closure is rare."""
    if not has_app_context():
        return {}
    from queue_app.core.extensions import db
    from queue_app.core.models import SiteClosure

    cache = app_cache(CLOSURES)
    hit = cache.get("days")
    if hit is not None and monotonic.monotonic() - hit[0] < CLOSURES_TTL:
        return hit[1]
    days = dict(db.session.execute(sa.select(SiteClosure.day, SiteClosure.reason)).all())
    cache["days"] = (monotonic.monotonic(), days)
    return days


def forget_closures() -> None:
    """Drop this process's cached closures now and again when the session commits (after an admin adds
    or removes one), so no request in between keeps the old list for the cache's lifetime."""
    if has_app_context():
        from queue_app.core.extensions import db

        app_cache(CLOSURES).pop("days", None)
        db.session.info[_CLOSURES_CHANGED] = True


_CLOSURES_CHANGED = "site_closures_changed"


@hooks.listens_for(Session, "after_commit",
                   why="an admin's new or removed closure is forgotten again once it commits, so no request in between keeps the old list")
def _forget_after_commit(session: Session) -> None:
    if session.info.pop(_CLOSURES_CHANGED, False) and has_app_context():
        app_cache(CLOSURES).pop("days", None)


def holiday_name(day: date, site: SiteConf | None = None) -> str | None:
    """The name of the holiday on ``day`` (``[[holidays]]``, else an admin's closure with its reason),
    or None on a working day."""
    name = (site or current_site()).holidays.get(day)
    return name if name is not None else closures().get(day)


def _intersect(a: tuple[TimeRange, ...], b: tuple[TimeRange, ...]) -> tuple[TimeRange, ...]:
    out = []
    for ra in a:
        for rb in b:
            start, end = max(ra.start, rb.start), min(ra.end, rb.end)
            if start < end:
                out.append(TimeRange(start, end))
    return tuple(sorted(out))


def open_ranges(service_code: str | None, day: date, site: SiteConf | None = None) -> tuple[TimeRange, ...]:
    """The windows a service (or, with None, the building) is open on ``day``; () when closed all day.

    A service's own ``hours`` narrow the site's, never widen them; a holiday closes everything.
    """
    site = site or current_site()
    if holiday_name(day, site) is not None:
        return ()
    weekday = day.weekday()
    ranges = site.weekly_hours.ranges(weekday) if site.weekly_hours else ALL_DAY
    conf = site.service(service_code) if service_code else None
    if conf is not None and conf.weekly_hours is not None:
        ranges = _intersect(ranges, conf.weekly_hours.ranges(weekday))
    return ranges


def opening(service_code: str | None, at: datetime, site: SiteConf | None = None) -> Opening:
    """Is the service open at ``at`` (aware)? If not: why, and when it opens again."""
    site = site or current_site()
    local = at.astimezone(site.tz)
    day, now = local.date(), local.time()
    name = holiday_name(day, site)
    if name is None and any(r.start <= now < r.end for r in open_ranges(service_code, day, site)):
        return Opening(True)
    reopens = next_opening(service_code, local, site)
    if name is not None:
        return Opening(False, "holiday", name, reopens)
    return Opening(False, "outside_hours", None, reopens)


def next_opening(service_code: str | None, after: datetime, site: SiteConf | None = None) -> datetime | None:
    """The first opening moment strictly after ``after`` (aware, in the site's zone), within the look-ahead."""
    site = site or current_site()
    local = after.astimezone(site.tz)
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        for r in open_ranges(service_code, day, site):
            start = datetime.combine(day, r.start, site.tz)
            if start > local:
                return start
    return None


def open_windows(service_code: str | None, first: date, days: int,
                 site: SiteConf | None = None) -> tuple[tuple[datetime, datetime], ...]:
    """The service's open windows of ``days`` days from ``first`` as aware (begin, end) pairs, in order."""
    site = site or current_site()
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        for r in open_ranges(service_code, day, site):
            # time.max marks "until midnight": the window ends at the next day's 00:00
            end = (datetime.combine(day + timedelta(days=1), time.min, site.tz) if r.end == time.max
                   else datetime.combine(day, r.end, site.tz))
            out.append((datetime.combine(day, r.start, site.tz), end))
    return tuple(out)


def consume_open_time(windows: tuple[tuple[float, float], ...], start: float, seconds: float) -> float | None:
    """The epoch second at which ``seconds`` of open time, counted from epoch second ``start``, are used up
    inside ``windows`` (ordered ``(begin, end)`` epoch seconds); None when the windows run out first.

    Plain floats: the estimate runs this for every waiting ticket after each call.
    """
    left = max(0.0, seconds)
    for begin, end in windows:
        if end <= start:
            continue
        begin = max(begin, start)
        room = end - begin
        if left <= room:
            return begin + left
        left -= room
    return None


def epoch_windows(windows: tuple[tuple[datetime, datetime], ...]) -> tuple[tuple[float, float], ...]:
    return tuple((b.timestamp(), e.timestamp()) for b, e in windows)


def serving_end(service_code: str | None, start: datetime, seconds: float,
                site: SiteConf | None = None) -> datetime:
    """When ``seconds`` of serving that begin at ``start`` are done, counting only open time.

    The estimate replays the queue in seconds of work; a break (Friday prayer), the day's end or a
    holiday on the way adds its closed gap, so a ticket at 11:20 on a Friday with 20 minutes of work
    ahead is called around 13:10, not 11:40. Without any opening in the look-ahead, plain time is used.
    """
    site = site or current_site()
    local = start.astimezone(site.tz)
    windows = epoch_windows(open_windows(service_code, local.date(), LOOKAHEAD_DAYS + 1, site))
    end = consume_open_time(windows, local.timestamp(), float(seconds))
    return local + timedelta(seconds=seconds) if end is None else datetime.fromtimestamp(end, site.tz)
