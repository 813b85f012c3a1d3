"""Online booking of a time slot, and check-in at the kiosk (or by a clerk) that turns a booking into a ticket."""

from __future__ import annotations

from flask import Flask

_registered = False


def init_app(app: Flask) -> None:
    """Follow the office's closed days: their bookings are cancelled by the office, and given back on reopening."""
    global _registered
    from queue_app.staff import closures

    from . import closures as day_closures

    if not _registered:
        _registered = True
        closures.closing_asked.connect(day_closures.count_booked)
        closures.day_closed.connect(day_closures.close_bookings)
        closures.day_reopened.connect(day_closures.restore_bookings)
