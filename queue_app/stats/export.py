"""One CSV row per ticket with every timestamp (``/api/stats/export.csv``), streamed in the site's zone."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from queue_app.core.exports import spreadsheet_text
from queue_app.core.extensions import db
from queue_app.core.models import Agency, Counter, Service
from queue_app.core.site import current_site
from queue_app.queue.models import Ticket, TicketState
from queue_app.staff.models import User

EXPORT_COLUMNS = ("number", "service_day", "issued_service", "service", "agency", "status", "priority", "kiosk",
                  "issued_at", "called_at", "started_at", "finished_at", "wait_seconds", "service_seconds",
                  "counter", "clerk", "recalls", "estimated_wait_seconds", "booking", "route", "visit_seconds")

#: the bookings table, named here without importing its feature (stats and booking are sibling layers): a
#: ticket's booking code, empty for a walk-in
_BOOKINGS = sa.table("bookings", sa.column("code", sa.String), sa.column("ticket_id", sa.Integer))


def export_rows(first: date, last: date, *, agency_id: int | None = None) -> Iterator[list[Any]]:
    """One row per ticket of the range (``GET /api/stats/export.csv``), streamed from a plain column select."""
    issued_service = aliased(Service)
    stmt = (
        sa.select(Ticket.number, Ticket.service_day, issued_service.code, Service.code, Agency.code, Ticket.status,
                  Ticket.priority, Ticket.kiosk, Ticket.issued_at, Ticket.called_at, Ticket.started_at,
                  Ticket.finished_at, Counter.code, User.username, Ticket.recalls, Ticket.estimated_wait_seconds,
                  _BOOKINGS.c.code, Ticket.route)
        .join(Service, Service.id == Ticket.service_id)
        .join(issued_service, issued_service.id == Ticket.issued_service_id)
        .join(Agency, Agency.id == Service.agency_id)
        .outerjoin(Counter, Counter.id == Ticket.counter_id)
        .outerjoin(User, User.id == Ticket.user_id)
        .outerjoin(_BOOKINGS, _BOOKINGS.c.ticket_id == Ticket.id)
        .where(Ticket.service_day.between(first, last))
        .order_by(Ticket.service_day, Ticket.issued_at, Ticket.id)
        .execution_options(yield_per=2000)
    )
    if agency_id is not None:
        stmt = stmt.where(sa.or_(Service.agency_id == agency_id, issued_service.agency_id == agency_id))
    tz = current_site().tz

    def fmt(dt: datetime | None) -> str:
        return "" if dt is None else dt.astimezone(tz).isoformat(timespec="seconds")

    for (number, day, issued_code, service_code, agency_code, status, priority, kiosk, issued_at, called_at,
         started_at, finished_at, counter_code, clerk, recalls, eta, booking, route) in db.session.execute(stmt):
        wait = math.floor((called_at - issued_at).total_seconds()) if called_at else ""
        done = status is TicketState.done and started_at and finished_at
        service_secs = math.floor((finished_at - started_at).total_seconds()) if done else ""
        # a visit that crossed services: its steps ("PBG > RETRIBUSI > SERAH") and the whole visit's time;
        # started_at and service_seconds are its last step's (each step's own times: docs/visits.md)
        visit_secs = math.floor((finished_at - issued_at).total_seconds()) if done else ""
        row = [number, day.isoformat(), issued_code, service_code, agency_code, status.value, int(priority),
               kiosk or "", fmt(issued_at), fmt(called_at), fmt(started_at), fmt(finished_at), wait, service_secs,
               counter_code or "", clerk or "", recalls, "" if eta is None else eta, booking or "",
               " > ".join(route.split()) if route else "", visit_secs]
        yield [spreadsheet_text(v) for v in row]
