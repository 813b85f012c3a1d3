"""What the online booking tells the features above it (a notice to the visitor, a metric...).

Sent inside the change's transaction; receivers write rows of their own in the same session and never commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: the office closed the day of these bookings (an admin's closure, queue_app.staff.closures): each was booked
#: and is now cancelled by the office. Sender: the day (a date); keywords ``bookings`` (the
#: :class:`~queue_app.booking.models.Booking` rows, their ``closed_reason`` set), ``reason``, ``actor``
#: (the admin, or None from the command line). A notice feature tells each visitor with the reason.
bookings_closed = _signals.signal("bookings-closed")
#: the office opened the day again: these bookings it had cancelled are booked again. Sender: the day;
#: keywords ``bookings``, ``actor``
bookings_restored = _signals.signal("bookings-restored")
#: a visitor booked a place (``POST /api/bookings``). Sender: the
#: :class:`~queue_app.booking.models.Booking` (flushed); keyword ``actor`` (staff, or None)
booking_made = _signals.signal("booking-made")
