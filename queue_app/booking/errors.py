"""The booking's expected failures, with the contract's status and error codes."""

from __future__ import annotations

from queue_app.core.errors import NotFound, QueueError


class BookingNotOffered(QueueError):
    """This service takes no online bookings."""

    code = "booking_not_offered"


class DateNotBookable(QueueError):
    """That day cannot be booked (past, too far ahead, a holiday or a closed weekday)."""

    status_code, code = 422, "date_not_bookable"


class SlotNotFound(QueueError):
    """There is no such slot that day."""

    status_code, code = 422, "slot_not_found"


class SlotFull(QueueError):
    """Every place of this slot is taken."""

    code = "slot_full"


class BookingNotFound(NotFound):
    """No booking with that code or token."""

    code = "booking_not_found"


class NotToday(QueueError):
    """The booking is for another day."""

    code = "not_today"


class TooEarly(QueueError):
    """Too early to check in for this slot."""

    code = "too_early"


class TooLate(QueueError):
    """Too late to check in for this slot."""

    code = "too_late"


class BookingClosed(QueueError):
    """The booking was cancelled or has expired."""

    code = "booking_closed"
