"""Shapes every area shares: the error body, a ticket as staff see it, a counter reference, a print outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from queue_app.api.declare import Answer

TicketStatus = Literal["waiting", "called", "serving", "done", "no_show", "cancelled"]
CounterState = Literal["open", "paused"]
RoleName = Literal["clerk", "manager", "admin"]
PrinterState = Literal["ok", "offline", "paper_low", "paper_out", "unknown"]
#: an instant in ISO 8601 with the site's offset, or null when it has not happened
Moment = datetime | None


class ErrorDetail(Answer):
    """What went wrong: a stable snake_case code for programs, a message for people."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    message: str
    #: the request field at fault (422)
    field: str | None = None
    #: the service that is closed (409 service_closed, holiday, outside_hours)
    service: str | None = None
    #: when a closed service opens again (409 holiday, outside_hours)
    reopens_at: str | None = None
    #: the holiday's name (409 holiday)
    holiday: str | None = None
    #: the ticket's or counter's state that did not fit (409 invalid_transition, counter_paused...)
    status: str | None = None
    state: str | None = None
    #: the number a counter still has open (409 counter_busy)
    current: str | None = None
    #: bookings: the day asked for, the last bookable day, the slot asked for and the slots still free
    date: str | None = None
    last: str | None = None
    start: str | None = None
    next_free: list[str] | None = None
    #: a booking's check-in window: when it opens (409 too_early)
    opens_at: str | None = None
    #: ... and when it closed (409 too_late)
    closed_at: str | None = None
    #: seconds until the limit lets the caller try again (429 rate_limited)
    retry_after: int | None = None


class Error(Answer):
    """The one error body of the contract: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail


class CounterRef(Answer):
    code: str
    name: str


class StaffTicket(Answer):
    """A ticket as staff see it (the contract's TICKET)."""

    number: str
    service: str
    status: TicketStatus
    priority: bool
    issued_at: datetime
    called_at: Moment
    started_at: Moment
    finished_at: Moment
    counter: CounterRef | None
    recalls: int
    last_called_at: Moment
    # no visitor token: staff name a ticket by its number (reprint at a counter)


class PrintResult(Answer):
    """What became of the paper slip."""

    status: Literal["printed", "queued", "failed", "none"]
    error: str | None = Field(description="why it failed or is still queued")


class Health(Answer):
    """Up: the database answers; ``degraded`` when a printer is not ok."""

    status: Literal["ok", "degraded"]
    database: str
    printers: dict[str, PrinterState]


class HealthDown(Answer):
    """The database is unreachable: the contract's error body plus what health knows."""

    error: ErrorDetail
    status: Literal["degraded"]
    database: str
    printers: dict[str, PrinterState]

# --- counters: the counter list, the clerk panel's view, the bodies of the counter actions ---
