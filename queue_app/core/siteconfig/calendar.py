"""The site's calendar in config.toml: opening hours per weekday, holidays, booking and survey options.

Only the shapes live here, parsed into times and dates once at start so that the code that
decides "is this service open now?" never parses strings; that decision lives with the queue.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, NamedTuple

from pydantic import BeforeValidator, Field

from .fields import Model, NonEmptyStr, problem

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
RANGE_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
RANGES_FORMAT = '"08:00-15:00" or "08:00-11:30,13:00-15:00"'


class TimeRange(NamedTuple):
    """One opening window of a day, in the site's time zone; ``start`` included, ``end`` excluded."""

    start: dt.time
    end: dt.time


def parse_ranges(text: str) -> tuple[TimeRange, ...]:
    """``"08:00-11:30,13:00-15:00"`` → two ranges; ``""`` → none (closed).

    Windows must be in order and must not overlap, so a reader can walk them once.
    """
    ranges: list[TimeRange] = []
    if not text.strip():
        return ()
    for part in (p.strip() for p in text.split(",")):
        m = RANGE_RE.match(part)
        try:
            if not m:
                raise ValueError(part)
            start, end = dt.time(int(m[1]), int(m[2])), dt.time(int(m[3]), int(m[4]))
        except ValueError:
            raise problem(f'must look like {RANGES_FORMAT}, not "{text}"') from None
        if end <= start:
            raise problem(f'the window "{part}" ends before it starts')
        if ranges and start < ranges[-1].end:
            raise problem(f'the window "{part}" starts before the one ahead of it ends '
                          "(list the windows in order, without overlap)")
        ranges.append(TimeRange(start, end))
    return tuple(ranges)


def _day(value: Any) -> Any:
    if isinstance(value, str):
        return parse_ranges(value)
    if isinstance(value, tuple):  # already parsed (WeeklyHours.every_day)
        return value
    raise problem(f"must be a string such as {RANGES_FORMAT} (\"\" = closed)")


DayHours = Annotated[tuple[TimeRange, ...], BeforeValidator(_day)]


class WeeklyHours(Model):
    """Opening windows per weekday; a weekday left out or ``""`` is closed."""

    mon: DayHours = ()
    tue: DayHours = ()
    wed: DayHours = ()
    thu: DayHours = ()
    fri: DayHours = ()
    sat: DayHours = ()
    sun: DayHours = ()

    @classmethod
    def every_day(cls, ranges: tuple[TimeRange, ...]) -> WeeklyHours:
        return cls(**dict.fromkeys(DAYS, ranges))

    def ranges(self, weekday: int) -> tuple[TimeRange, ...]:
        """Windows of ``weekday`` (0 = Monday, as :meth:`datetime.date.weekday`)."""
        return getattr(self, DAYS[weekday])

    def single_range(self) -> TimeRange | None:
        """The window when every day has the same single one, else None."""
        days = {self.ranges(i) for i in range(7)}
        if len(days) == 1:
            only = days.pop()
            if len(only) == 1:
                return only[0]
        return None


def service_hours(value: Any) -> Any:
    """A service's ``hours``: a plain range list (every day the site is open), or a weekday table."""
    if isinstance(value, str):
        ranges = parse_ranges(value)
        return WeeklyHours.every_day(ranges) if ranges else None
    if value is None or isinstance(value, dict | WeeklyHours):
        return value
    raise problem(f"must be a range such as {RANGES_FORMAT} or a weekday table ([services.hours])")


def _holiday_date(value: Any) -> dt.date:
    # TOML has dates of its own (date = 2026-12-25); the contract writes them quoted, so take both
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise problem(f'must be a date such as "2026-12-25", not "{value}"')


class Holiday(Model):
    """One ``[[holidays]]`` entry: every service is closed that local day."""

    date: Annotated[dt.date, BeforeValidator(_holiday_date)]
    name: NonEmptyStr


class BookingConf(Model):
    """``[services.booking]``: present means the service takes online bookings."""

    slot_minutes: int = Field(30, ge=5, le=24 * 60)
    per_slot: int = Field(4, ge=1)
    days_ahead: int = Field(7, ge=1, le=366)  # today included
    checkin_early_minutes: int = Field(60, ge=0, le=24 * 60)
    checkin_late_minutes: int = Field(15, ge=0, le=24 * 60)
    #: Share of the service's ``daily_quota`` kept for walk-ins: bookings of a day stop at
    #: ``floor(daily_quota x (1 - share))``. Ignored without a quota (0 = unlimited).
    walk_in_share: float = Field(0.0, ge=0.0, le=1.0)
    #: Whether the booking page asks for a name and a phone number (then they are required); never a NIK
    ask_name: bool = False
    ask_phone: bool = False
    #: What to bring (documents...), shown on the booking page before a slot is chosen
    requirements: str = ""


class RemoteConf(Model):
    """``[services.remote]``: present means the service can be joined from afar (a virtual queue)."""

    #: tickets a day joined from afar for this service (the rest of the day's places stay for the hall)
    daily_quota: int = Field(40, ge=1, le=10000)
    #: the visitor must be in the building before fewer than this many are ahead ("come now" below it)
    arrive_ahead: int = Field(5, ge=0, le=500)
    #: at the front and not arrived: passed over this long, then no_show
    hold_minutes: int = Field(10, ge=1, le=24 * 60)


SURVEY_CODES = tuple(f"U{i}" for i in range(1, 10))


def _survey_questions(value: Any) -> Any:
    # the nine elements are the regulation's: a site rewords a question, it never adds one
    if isinstance(value, dict):
        unknown = [k for k in value if k not in SURVEY_CODES]
        if unknown:
            raise problem(f'unknown element "{unknown[0]}" (the elements are U1 to U9)')
        for key, text in value.items():
            if not isinstance(text, str) or not text.strip():
                raise problem(f"{key} must be a non-empty question text")
    return value


class SurveySection(Model):
    """``[survey]``: the satisfaction survey (SKM)."""

    days_open: int = Field(7, ge=1, le=366)
    #: a site's own wording of some of the nine questions, e.g. ``{U3 = "..."}``; in the site's language
    questions: Annotated[dict[str, str], BeforeValidator(_survey_questions)] = {}
