"""Booking shapes: a slot of a day, a booking, and the ticket a check-in issues."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, RootModel, StringConstraints

from queue_app.api.declare import Answer, Code, Phone, Shape
from queue_app.queue.shapes import IssuedTicket


class BookingRequest(Shape):
    """A place in one slot of one day; name and phone only where the site asks for them."""

    service: Code
    date: Annotated[str, StringConstraints(min_length=1, max_length=10)] = Field(description="YYYY-MM-DD")
    start: Annotated[str, StringConstraints(min_length=1, max_length=5)] = Field(description="HH:MM")
    #: the column holds 100 characters
    name: Annotated[str, StringConstraints(max_length=100)] | None = None
    phone: Phone | None = None
    lang: Literal["id", "en"] | None = Field(None, description="the language of the notices to the phone "
                                                                 "(default: the site's)")


class CheckInRequest(Shape):
    """The kiosk the visitor stands at (with its key), or nothing when a clerk checks in by code."""

    kiosk: Code | None = None


class SlotView(Answer):
    """One slot of a day, local times."""

    start: str
    end: str
    capacity: int
    available: int


class SlotList(RootModel[list[SlotView]]):
    """The day's slots in order."""


class TicketRef(Answer):
    number: str
    token: str


class BookingView(Answer):
    """A booking; ``ticket`` once checked in."""

    code: str
    token: str
    service: str
    service_name: str
    date: str
    start: str
    end: str
    status: Literal["booked", "checked_in", "cancelled", "expired"]
    cancelled_by: Literal["visitor", "office"] | None = Field(
        description="once cancelled: by the visitor, or by the office closing the day (then `closed_reason`)")
    closed_reason: str | None = Field(description="the office's reason for closing the booking's day")
    name: str | None
    manage_url: str
    created_at: str | None
    checked_in_at: str | None
    ticket: TicketRef | None = None


class BookedSlot(Answer):
    date: str
    start: str
    end: str


class CheckedIn(IssuedTicket):
    """The body of POST /api/tickets plus the booking's code and slot."""

    booking: str
    booked_slot: BookedSlot




class BookingFigures(Answer):
    """Bookings made, checked in, expired (no-show), cancelled and still open; no_show_rate of the passed ones."""

    made: int
    checked_in: int
    expired: int
    cancelled: int
    open: int
    no_show_rate: float | None


class BookingDay(BookingFigures):
    service: str
    date: str


class BookingReport(Answer):
    """Booking figures per service and day of a range, and in total."""

    model_config = ConfigDict(populate_by_name=True)

    first: str = Field(alias="from")
    last: str = Field(alias="to")
    days: list[BookingDay]
    total: BookingFigures
