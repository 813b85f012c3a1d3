"""Shapes of the building's closed days and the displays' notices."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from queue_app.api.declare import Answer, Shape
from queue_app.staff import closures, notices

Day = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", max_length=10)]


class ClosureRequest(Shape):
    """Close the whole site on ``day`` (YYYY-MM-DD, today or later) with a reason shown to visitors."""

    day: Day = Field(json_schema_extra={"x-error-text": "closure_day_format"})
    reason: Annotated[str, StringConstraints(min_length=1, max_length=closures.MAX_REASON)]


class Notice(Shape):
    """A notice as an admin writes it."""

    title: Annotated[str, StringConstraints(max_length=notices.MAX_TITLE)] = ""
    text: Annotated[str, StringConstraints(max_length=notices.MAX_TEXT)] = ""


class NoticesRequest(Shape):
    """Every notice of the displays' media area, replacing the old list (blank ones are dropped)."""

    notices: Annotated[list[Notice], Field(max_length=notices.MAX_NOTICES)]


class Closure(Answer):
    """One closed day."""

    day: str
    reason: str
    created_at: str | None


class ClosureMade(Closure):
    """The closed day, and what closing it did: ``{"bookings": 3}`` bookings cancelled by the office."""

    affected: dict[str, int] = Field(description='what the closure changed, by kind: {"bookings": n} cancelled')


class ClosureImpact(Answer):
    """What closing the day would affect now, for the admin to read before confirming."""

    day: str
    affected: dict[str, int] = Field(description='by kind: {"bookings": n} booked visitors whose booking would '
                                                 "be cancelled by the office")


class Holiday(Answer):
    day: str
    name: str


class ClosedDays(Answer):
    """The admin's closures from today on and config.toml's coming holidays, soonest first."""

    closures: list[Closure]
    holidays: list[Holiday]


class Reopened(Answer):
    """The day takes visitors again."""

    day: str
    closed: bool
    affected: dict[str, int] = Field(description='what reopening gave back: {"bookings": n} booked again')


class ShownNotice(Answer):
    title: str
    text: str


class Notices(Answer):
    """The notices the displays show in turn."""

    notices: list[ShownNotice]


