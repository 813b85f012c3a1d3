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

import functools
from datetime import timedelta

import sqlalchemy as sa

from . import clock
from .database import seconds_between
from .extensions import db
from .models import Counter, CounterService, CounterState, Service, Ticket, TicketState

SAMPLE = 20
HISTORY_DAYS = 14
PRIOR_WEIGHT = 3


@functools.cache
def _statements(dialect: str) -> dict[str, sa.Select]:
    """The estimate's queries, built once per dialect: they run on every ticket issued and every call,
    and building SQLAlchemy statements costs more than SQLite takes to run them."""
    recent = (
        sa.select(seconds_between(Ticket.called_at, Ticket.finished_at).label("secs"))
        .where(
            Ticket.service_id == sa.bindparam("sid"),
            Ticket.status.in_([TicketState.done, TicketState.no_show]),
            Ticket.finished_at >= sa.bindparam("since"),
            Ticket.called_at.is_not(None),
        )
        .order_by(Ticket.finished_at.desc())
        .limit(SAMPLE)
        .subquery()
    )
    same_queue = sa.and_(
        Ticket.service_id == sa.bindparam("sid"),
        Ticket.service_day == sa.bindparam("day"),
        Ticket.status == TicketState.waiting,
        Ticket.id != sa.bindparam("tid"),
    )
    earlier = sa.or_(
        Ticket.issued_at < sa.bindparam("issued_at"),
        sa.and_(Ticket.issued_at == sa.bindparam("issued_at"), Ticket.id < sa.bindparam("tid")),
    )
    count = sa.select(sa.func.count()).select_from(Ticket)
    return {
        "handling": sa.select(sa.func.sum(recent.c.secs), sa.func.count()),
        "load": (
            sa.select(sa.func.count(), sa.func.count(Counter.current_ticket_id))
            .select_from(Counter)
            .join(CounterService, CounterService.counter_id == Counter.id)
            .where(CounterService.service_id == sa.bindparam("sid"), Counter.active,
                   Counter.state == CounterState.open)
        ),
        # a priority ticket has only earlier priority tickets before it; anyone else has every
        # priority ticket and every earlier ticket before it
        "ahead_priority": count.where(same_queue, Ticket.priority, earlier),
        "ahead_normal": count.where(same_queue, sa.or_(Ticket.priority, earlier)),
    }


def _stmt(name: str) -> sa.Select:
    return _statements(db.engine.dialect.name)[name]


def handling_seconds(service: Service) -> float:
    """Recent mean seconds a counter spends on one ticket of this service (see module doc)."""
    since = clock.utcnow() - timedelta(days=HISTORY_DAYS)
    total, n = db.session.execute(_stmt("handling"), {"sid": service.id, "since": since}).one()
    prior = float(service.typical_service_seconds)
    return (float(total or 0) + PRIOR_WEIGHT * prior) / (int(n) + PRIOR_WEIGHT)


def counter_load(service_id: int) -> tuple[int, int]:
    """(open counters serving the service, how many of them are busy with a ticket)."""
    open_n, busy = db.session.execute(_stmt("load"), {"sid": service_id}).one()
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
    stmt = _stmt("ahead_priority" if ticket.priority else "ahead_normal")
    params = {"sid": ticket.service_id, "day": ticket.service_day, "tid": ticket.id, "issued_at": ticket.issued_at}
    return int(db.session.execute(stmt, params).scalar_one())


def estimate_for_ticket(ticket: Ticket, ahead: int | None = None, *, service: Service | None = None) -> int | None:
    """The estimate shown to this ticket's holder; None once it has been called."""
    if ticket.status is not TicketState.waiting:
        return None
    if ahead is None:
        ahead = ahead_of(ticket)
    service = service or ticket.service
    return estimate(ahead, handling_seconds(service), *counter_load(ticket.service_id))


def estimate_for_new(service: Service, waiting: int) -> int:
    """What a ticket issued now would be told."""
    return estimate(waiting, handling_seconds(service), *counter_load(service.id))
