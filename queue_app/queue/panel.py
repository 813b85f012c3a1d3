"""What a clerk's panel shows besides the current ticket: the waiting list and today's own tally.

Read-only; the panel re-reads it after every ``queue_changed``/``counter_changed`` event, so it is
built with a few indexed queries rather than pushed in full to every panel on every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.database import seconds_between
from queue_app.core.extensions import db
from queue_app.core.models import Counter, CounterService, Service
from queue_app.core.site import current_site, iso, today
from queue_app.queue import routes
from queue_app.queue.models import EventKind, Ticket, TicketEvent, TicketState, VisitStep
from queue_app.queue.read_models import counter_to_dict
from queue_app.staff.models import User

#: The panel lists at most this many waiting tickets; the count is always exact
WAITING_LIMIT = 200


def waiting_for(counter: Counter) -> tuple[list[dict[str, Any]], int]:
    """Tickets waiting today for the counter's services, in the order call-next would take them."""
    now = clock.utcnow()
    base = (
        sa.select(Ticket, CounterService.position)
        .join(CounterService, sa.and_(CounterService.service_id == Ticket.service_id,
                                      CounterService.counter_id == counter.id))
        .where(Ticket.status == TicketState.waiting, Ticket.service_day == today())
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = db.session.execute(
        base.order_by(Ticket.priority.desc(), sa.case((Ticket.priority, 0), else_=CounterService.position),
                      Ticket.queue_at, Ticket.id).limit(WAITING_LIMIT)
    ).all()
    came_from = routes.came_from_many([t.id for t, _pos in rows if t.route and t.route_step])
    out = []
    for ticket, _pos in rows:
        out.append({
            "number": ticket.number,
            "service": ticket.service.code,
            "service_name": ticket.service.name,
            "priority": ticket.priority,
            "issued_at": iso(ticket.issued_at),
            "waited_seconds": max(0, int((now - ticket.issued_at).total_seconds())),
            # sent here by a clerk; a step of a visit's route says where it came from instead
            "transferred": ticket.issued_service_id != ticket.service_id and not ticket.route_step,
            # a booked visitor: the clerk sees the slot ("booked 09:30") next to the number
            "booked_slot": _local_hhmm(ticket.booked_slot_at),
            # the next step of a visit: the clerk sees where the visitor comes from
            "came_from": came_from.get(ticket.id),
            # joined from afar; ``away``: not in the building yet, so call-next passes it over
            "remote": ticket.checkin_code is not None,
            "away": ticket.away,
        })
    return out, total


def _local_hhmm(at: datetime | None) -> str | None:
    return at.astimezone(current_site().tz).strftime("%H:%M") if at is not None else None


def clerk_tally(user: User) -> dict[str, Any]:
    """Today's figures of one clerk, at any counter: served, no-show, average service time."""
    start, end = clock.day_bounds(current_site().tz, today(), today())
    counts = dict(db.session.execute(
        sa.select(TicketEvent.kind, sa.func.count())
        .where(TicketEvent.user_id == user.id, TicketEvent.at >= start, TicketEvent.at < end,
               TicketEvent.kind.in_([EventKind.finished, EventKind.routed, EventKind.no_show, EventKind.called]))
        .group_by(TicketEvent.kind)
    ).all())
    total, n = db.session.execute(
        sa.select(sa.func.sum(seconds_between(Ticket.started_at, Ticket.finished_at)),
                  sa.func.count(Ticket.started_at))
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .where(TicketEvent.user_id == user.id, TicketEvent.kind == EventKind.finished,
               TicketEvent.at >= start, TicketEvent.at < end, Ticket.status == TicketState.done)
    ).one()
    # and the steps of visits that went on elsewhere (their own times: queue_app.queue.routes)
    step_total, step_n = db.session.execute(
        sa.select(sa.func.sum(seconds_between(VisitStep.started_at, VisitStep.finished_at)), sa.func.count())
        .where(VisitStep.user_id == user.id, VisitStep.finished_at >= start, VisitStep.finished_at < end,
               VisitStep.started_at.is_not(None))
    ).one()
    n = int(n or 0) + int(step_n or 0)
    avg = (float(total or 0) + float(step_total or 0)) / n if n else None
    return {
        # a step of a visit that went on to another service was served here too
        "served": counts.get(EventKind.finished, 0) + counts.get(EventKind.routed, 0),
        "no_show": counts.get(EventKind.no_show, 0),
        "called": counts.get(EventKind.called, 0),
        "avg_service_seconds": None if avg is None else round(float(avg)),
    }


def panel_view(counter: Counter, user: User) -> dict[str, Any]:
    """``GET /api/counters/<code>/queue``: everything the panel shows, in one read."""
    waiting, total = waiting_for(counter)
    services = db.session.scalars(sa.select(Service).where(Service.active).order_by(Service.position)).all()
    own = {link.service_id for link in counter.service_links}
    return {
        "counter": {**counter_to_dict(counter), "state_since": iso(counter.state_since)},
        "waiting": waiting,
        "waiting_total": total,
        "tally": clerk_tally(user),
        "services": [{"code": s.code, "name": s.name, "prefix": s.prefix, "own": s.id in own} for s in services],
        "recall_warn_after": current_site().recall_warn_after,
        "now": iso(clock.utcnow()),
        "visit": routes.panel_visit(counter.current_ticket),
    }
