"""The live dashboard's snapshot: today's queues against their targets, the counters, today's figures."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from queue_app.core import clock
from queue_app.core.extensions import db
from queue_app.core.models import Agency, Counter, CounterService, CounterState, Service
from queue_app.core.models.base import UTCDateTime
from queue_app.core.site import iso, today
from queue_app.queue.models import Ticket, TicketState
from queue_app.queue.presence import staffed_clause, staffed_ids
from queue_app.queue.read_models import presence_of
from queue_app.staff.models import User

from .charts import hourly, wait_histogram
from .figures import summary
from .sql import _as_utc, _services

#: Longest current wait below this share of the target is green, up to the target amber, above red
AMBER_FROM = 0.75


def level(longest: float | None, target_seconds: int) -> str:
    """Colour of a service's tile: ``green`` / ``amber`` / ``red`` by its longest current wait."""
    if not longest or target_seconds <= 0:
        return "green" if not longest else "red"
    ratio = longest / target_seconds
    if ratio > 1:
        return "red"
    return "amber" if ratio >= AMBER_FROM else "green"


def dashboard_snapshot(*, agency_id: int | None = None) -> dict[str, Any]:
    """Everything the live dashboard shows, for today, in a handful of indexed queries."""
    now = clock.utcnow()
    day = today()
    services = [s for s in _services(agency_id) if s.active]
    ids = [s.id for s in services]

    waiting = {sid: (n, oldest) for sid, n, oldest in db.session.execute(
        sa.select(Ticket.service_id, sa.func.count(), sa.func.min(Ticket.issued_at))
        .where(Ticket.service_day == day, Ticket.status == TicketState.waiting, Ticket.service_id.in_(ids))
        .group_by(Ticket.service_id))}
    # open: not paused and a clerk's panel connected (queue_app.queue.presence), as the estimate counts them
    is_open = sa.and_(Counter.state == CounterState.open, staffed_clause(Counter.id, sa.literal(now, UTCDateTime())))
    counters_of = {sid: (n_open, n_all) for sid, n_open, n_all in db.session.execute(
        sa.select(CounterService.service_id, sa.func.count(sa.case((is_open, 1))), sa.func.count())
        .join(Counter, Counter.id == CounterService.counter_id)
        .where(Counter.active, CounterService.service_id.in_(ids))
        .group_by(CounterService.service_id))}

    service_rows = []
    for s in services:
        n, oldest = waiting.get(s.id, (0, None))
        oldest_dt = _as_utc(oldest)
        longest = max(0.0, (now - oldest_dt).total_seconds()) if oldest_dt else None
        n_open, n_all = counters_of.get(s.id, (0, 0))
        service_rows.append({
            "code": s.code, "name": s.name, "agency": s.agency.code, "prefix": s.prefix,
            "waiting": n, "longest_wait_seconds": None if longest is None else int(longest),
            "target_wait_seconds": s.target_wait_minutes * 60,
            "level": level(longest, s.target_wait_minutes * 60),
            "open_counters": int(n_open), "counters": int(n_all),
        })

    counter_ids = sa.select(CounterService.counter_id).where(CounterService.service_id.in_(ids))
    cur_service = aliased(Service)
    staffed = staffed_ids()
    counter_rows = []
    for c, t, svc_code, user in db.session.execute(
        sa.select(Counter, Ticket, cur_service.code, User)
        .outerjoin(Ticket, Ticket.id == Counter.current_ticket_id)
        .outerjoin(cur_service, cur_service.id == Ticket.service_id)
        .outerjoin(User, User.id == Ticket.user_id)
        .where(Counter.active, Counter.id.in_(counter_ids))
        .order_by(Counter.position, Counter.code)
    ):
        current = None
        if t is not None:
            since = t.started_at if t.status is TicketState.serving and t.started_at else t.last_called_at
            current = {"number": t.number, "service": svc_code, "status": t.status.value, "priority": t.priority,
                       "since": iso(since), "seconds": int(max(0.0, (now - since).total_seconds())) if since else 0,
                       "clerk": (user.full_name or user.username) if user else None}
        counter_rows.append({"code": c.code, "name": c.name, "zone": c.zone, "state": c.state.value,
                             "staffed": c.id in staffed, "presence": presence_of(c.state, c.id in staffed),
                             "state_since": iso(c.state_since), "current": current})

    today_figures = summary(day, day, agency_id=agency_id)
    agency = db.session.get(Agency, agency_id) if agency_id is not None else None
    return {
        "day": day.isoformat(), "at": iso(now), "amber_from": AMBER_FROM,
        "agency": None if agency is None else {"code": agency.code, "name": agency.name},
        "services": service_rows, "counters": counter_rows,
        "today": today_figures["total"], "today_services": today_figures["services"],
        "today_visits": today_figures["visits"],
        "hourly": hourly(day, agency_id=agency_id),
        "wait_histogram": wait_histogram(day, day, agency_id=agency_id),
    }


