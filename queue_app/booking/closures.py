"""The bookings of a day the office closes (queue_app.staff.closures): cancelled by the office with its reason,
given back when the day opens again.

Receivers of the staff closures' signals, connected by :func:`queue_app.booking.init_app`; each runs in the
closure's transaction and returns its counts (``{"bookings": n}``), which the admin reads (before confirming, in
the answer, in the audit log). The visitor's manage page and ``GET /api/bookings/<token>`` say who cancelled and
why (:func:`queue_app.booking.operations.booking_view`); :data:`queue_app.booking.signals.bookings_closed` lets a
notices feature tell them.

A closed day takes no bookings (the calendar names it a holiday), so the places stay counted: reopening gives
each booking its place back without taking it again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from queue_app.booking.models import Booking, BookingEventKind, BookingState
from queue_app.booking.operations import _log
from queue_app.booking.signals import bookings_closed, bookings_restored
from queue_app.core import clock
from queue_app.core.database import is_postgres
from queue_app.core.extensions import db
from queue_app.core.site import today
from queue_app.staff.models import User


def _of_day(day: date, *where: sa.ColumnElement[bool]) -> list[Booking]:
    stmt = sa.select(Booking).where(Booking.day == day, *where).order_by(Booking.start, Booking.id)
    if is_postgres():  # a visitor cancelling or checking in at the same moment waits for the closure
        stmt = stmt.with_for_update(of=Booking)
    return list(db.session.scalars(stmt))


def count_booked(day: date, **_: Any) -> dict[str, int]:
    """Receiver of ``closing_asked``: the bookings a closure of ``day`` would cancel."""
    n = db.session.scalar(sa.select(sa.func.count()).select_from(Booking)
                          .where(Booking.day == day, Booking.status == BookingState.booked))
    return {"bookings": int(n or 0)}


def close_bookings(day: date, *, reason: str, actor: User | None = None, **_: Any) -> dict[str, int]:
    """Receiver of ``day_closed``: every booking of ``day`` still booked is cancelled by the office with
    ``reason`` (those it cancelled before take the new reason)."""
    now = clock.utcnow()
    closed = _of_day(day, Booking.status == BookingState.booked)
    for booking in closed:
        booking.status = BookingState.cancelled
        booking.cancelled_at = now
        booking.closed_reason = reason
        _log(booking, BookingEventKind.cancelled, now, actor=actor, by="office", reason=reason)
    for booking in _of_day(day, Booking.status == BookingState.cancelled, Booking.closed_reason.is_not(None)):
        booking.closed_reason = reason
    db.session.flush()
    if closed:
        bookings_closed.send(day, bookings=closed, reason=reason, actor=actor)
    return {"bookings": len(closed)}


def restore_bookings(day: date, *, actor: User | None = None, **_: Any) -> dict[str, int]:
    """Receiver of ``day_reopened``: the bookings the office cancelled by closing ``day`` are booked again
    (not for a day gone by: they would only expire as if nobody came)."""
    if day < today():
        return {"bookings": 0}
    now = clock.utcnow()
    restored = _of_day(day, Booking.status == BookingState.cancelled, Booking.closed_reason.is_not(None))
    for booking in restored:
        booking.status = BookingState.booked
        booking.cancelled_at = None
        booking.closed_reason = None
        _log(booking, BookingEventKind.booked, now, actor=actor, restored=True)
    db.session.flush()
    if restored:
        bookings_restored.send(day, bookings=restored, actor=actor)
    return {"bookings": len(restored)}
