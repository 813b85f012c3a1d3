"""The building's calendar: opening windows per weekday (a service's narrow the site's), holidays, next opening.

Everything here reads config.toml (``[site.hours]``, a service's ``hours``, ``[[holidays]]``) and the
day's closures an admin adds; the kiosk, the ticket verbs, bookings and the estimate all ask the same
questions here, so a Friday-prayer break or a holiday closes every one of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

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


def holiday_name(day: date, site: SiteConf | None = None) -> str | None:
    """The name of the holiday on ``day`` (``[[holidays]]``), or None on a working day."""
    return (site or current_site()).holidays.get(day)


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
    if day in site.holidays:
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
