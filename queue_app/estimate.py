"""Estimated wait: how long until a ticket is called, from the service's recent pace.

Method (also in docs/estimated-wait.md):

1. *Handling time* h of the service: the mean of ``finished_at - called_at`` over its last
   ``SAMPLE`` finished tickets (done or no-show) of the last ``HISTORY_DAYS`` days. Using the time
   from call to finish, not start to finish, counts the walk to the counter and the no-shows, which
   occupy a counter too. The mean is shrunk towards the service's configured typical time with the
   weight of ``PRIOR_WEIGHT`` tickets, so the first tickets of a new service do not swing wildly.
2. *Counters* n: open counters that list the service (at least 1, so a closed hall still gets an
   estimate instead of infinity).
3. A ticket with ``ahead`` people before it waits about ``ahead * h / n``; when nobody is ahead
   but every such counter is busy it waits about ``h / (2 n)`` (half a handling time on average).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from . import clock
from .database import seconds_between
from .extensions import db
from .models import Counter, CounterService, CounterState, Service, Ticket, TicketState

SAMPLE = 20
HISTORY_DAYS = 14
PRIOR_WEIGHT = 3


def handling_seconds(service: Service) -> float:
    """Recent mean seconds a counter spends on one ticket of this service (see module doc)."""
    since = clock.utcnow() - timedelta(days=HISTORY_DAYS)
    recent = (
        sa.select(seconds_between(Ticket.called_at, Ticket.finished_at).label("secs"))
        .where(
            Ticket.service_id == service.id,
            Ticket.status.in_([TicketState.done, TicketState.no_show]),
            Ticket.finished_at >= since,
            Ticket.called_at.is_not(None),
        )
        .order_by(Ticket.finished_at.desc())
        .limit(SAMPLE)
        .subquery()
    )
    total, n = db.session.execute(sa.select(sa.func.sum(recent.c.secs), sa.func.count())).one()
    prior = float(service.typical_service_seconds)
    return (float(total or 0) + PRIOR_WEIGHT * prior) / (int(n) + PRIOR_WEIGHT)


def counter_load(service_id: int) -> tuple[int, int]:
    """(open counters serving the service, how many of them are busy with a ticket)."""
    open_n, busy = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(Counter.current_ticket_id))
        .select_from(Counter)
        .join(CounterService, CounterService.counter_id == Counter.id)
        .where(CounterService.service_id == service_id, Counter.active, Counter.state == CounterState.open)
    ).one()
    return int(open_n), int(busy)


def estimate(ahead: int, handling: float, open_counters: int, busy_counters: int) -> int:
    """Seconds until a ticket with ``ahead`` people before it is called."""
    n = max(open_counters, 1)
    if ahead == 0:
        return 0 if busy_counters < open_counters else round(handling / (2 * n))
    return round(ahead * handling / n)


def ahead_of(ticket: Ticket) -> int:
    """Waiting tickets of the same queue that will be called before this one (priority first)."""
    if ticket.status is not TicketState.waiting:
        return 0
    earlier = sa.or_(
        Ticket.issued_at < ticket.issued_at,
        sa.and_(Ticket.issued_at == ticket.issued_at, Ticket.id < ticket.id),
    )
    before = sa.and_(Ticket.priority, earlier) if ticket.priority else sa.or_(Ticket.priority, earlier)
    return int(db.session.scalar(
        sa.select(sa.func.count()).select_from(Ticket).where(
            Ticket.service_id == ticket.service_id,
            Ticket.service_day == ticket.service_day,
            Ticket.status == TicketState.waiting,
            Ticket.id != ticket.id,
            before,
        )
    ) or 0)


def estimate_for_ticket(ticket: Ticket, ahead: int | None = None) -> int | None:
    """The estimate shown to this ticket's holder; None once it has been called."""
    if ticket.status is not TicketState.waiting:
        return None
    if ahead is None:
        ahead = ahead_of(ticket)
    service = ticket.service or db.session.get(Service, ticket.service_id)
    return estimate(ahead, handling_seconds(service), *counter_load(ticket.service_id))


def estimate_for_new(service: Service, waiting: int) -> int:
    """What a ticket issued now would be told."""
    return estimate(waiting, handling_seconds(service), *counter_load(service.id))
