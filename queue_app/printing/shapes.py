"""Printing shapes: printer states with today's jobs, and a reprint."""

from __future__ import annotations

from pydantic import Field

from queue_app.api.declare import Answer, Code, Number, Shape
from queue_app.api.shapes import Moment, PrinterState, PrintResult, StaffTicket


class JobsToday(Answer):
    queued: int
    printed: int
    failed: int


class Printer(Answer):
    """A configured printer: last known state, the kiosks that use it, today's jobs by outcome."""

    code: str
    kind: str
    profile: str
    state: PrinterState
    message: str
    checked_at: Moment
    kiosks: list[str]
    jobs_today: JobsToday


class ReprintBody(Shape):
    printer: Code | None = Field(default=None, description="default: the printer of the issuing kiosk")


class ReprintAtCounter(Shape):
    """Which ticket of this counter to print again (default: its current one), and where."""

    number: Number | None = Field(default=None, description="a ticket this counter called today, e.g. A-007")
    printer: Code | None = Field(default=None, description="default: the printer of the issuing kiosk")


class Reprinted(Answer):
    """The ticket and what became of the new slip."""

    ticket: StaffTicket
    print: PrintResult
