"""Booking figures per service and day: made, checked in, expired, cancelled, still open, and the no-show rate."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from queue_app.booking.models import Booking, BookingState
from queue_app.core.extensions import db
from queue_app.core.models import Service

STATES = ("checked_in", "expired", "cancelled", "booked")


def booking_figures(first: date, last: date, *, agency_id: int | None = None) -> dict[str, Any]:
    """Counts by the slot's day. ``no_show_rate`` = expired / (checked in + expired): of the bookings whose
    check-in window has passed, the share nobody came for (None while there are none)."""
    stmt = (
        sa.select(Service.code, Booking.day, Booking.status, sa.func.count())
        .join(Service, Service.id == Booking.service_id)
        .where(Booking.day >= first, Booking.day <= last)
        .group_by(Service.code, Booking.day, Booking.status)
    )
    if agency_id is not None:
        stmt = stmt.where(Service.agency_id == agency_id)
    rows: dict[tuple[str, date], dict[str, int]] = {}
    for code, day, status, n in db.session.execute(stmt):
        counts = rows.setdefault((code, day), dict.fromkeys(STATES, 0))
        counts[BookingState(status).value] += n
    out: list[dict[str, Any]] = []
    total = dict.fromkeys(STATES, 0)
    for (code, day), counts in sorted(rows.items(), key=lambda item: (item[0][1], item[0][0])):
        out.append({"service": code, "date": day.isoformat(), **_figures(counts)})
        for k in STATES:
            total[k] += counts[k]
    return {"from": first.isoformat(), "to": last.isoformat(), "days": out, "total": _figures(total)}


def _figures(counts: dict[str, int]) -> dict[str, Any]:
    passed = counts["checked_in"] + counts["expired"]
    return {
        "made": sum(counts.values()),
        "checked_in": counts["checked_in"],
        "expired": counts["expired"],
        "cancelled": counts["cancelled"],
        "open": counts["booked"],
        "no_show_rate": round(counts["expired"] / passed, 4) if passed else None,
    }
