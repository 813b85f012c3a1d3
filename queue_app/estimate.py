"""Estimated wait: how long until a ticket is called, forecast from the queue as it stands.

Method (also in docs/estimated-wait.md):

1. *Handling time* h of each service: the mean of ``finished_at - called_at`` over its last
   ``SAMPLE`` finished tickets (done or no-show) of the last ``HISTORY_DAYS`` days, shrunk towards the
   service's configured typical time with the weight of ``PRIOR_WEIGHT`` tickets. Call-to-finish
   counts the walk to the counter and the no-shows, which occupy a counter too.
2. *Replay*: every open counter becomes free when its current visit is expected to end (h minus the
   time already spent, at least a fifth of h) and then takes the next ticket by its own rule: priority
   tickets of any of its services first (oldest first), then its services in their listed order. Each
   visit lasts the service's h. The moment a waiting ticket is taken is its estimate.

Replaying rather than dividing by a number of counters matters when counters share services: a
counter that lists a service last only reaches it when its earlier queues are empty. Tickets no open
counter serves get ``ahead x h`` (as if one counter would open for them). Tickets issued after now
are not foreseen, so a priority visitor arriving later still makes a normal ticket's real wait longer.
"""

from __future__ import annotations

import functools
import heapq
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from . import clock
from .database import seconds_between
from .extensions import db
from .models import Counter, CounterService, CounterState, Service, Ticket, TicketState

HANDLING_TTL = 30.0
_handling_cache: dict[int, tuple[float, float]] = {}

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


def ahead_of(ticket: Ticket) -> int:
    """Waiting tickets of the same queue that will be called before this one (priority first)."""
    if ticket.status is not TicketState.waiting:
        return 0
    stmt = _stmt("ahead_priority" if ticket.priority else "ahead_normal")
    params = {"sid": ticket.service_id, "day": ticket.service_day, "tid": ticket.id, "issued_at": ticket.issued_at}
    return int(db.session.execute(stmt, params).scalar_one())


# --- forecast by replaying the queue ---------------------------------------------------------


def cached_handling(service: Service) -> float:
    """:func:`handling_seconds`, remembered for ``HANDLING_TTL`` s per process (it is a statistic, not
    queue state; a finish in this process forgets it at once via :func:`forget_handling`)."""
    now = time.monotonic()
    hit = _handling_cache.get(service.id)
    if hit is not None and now - hit[1] < HANDLING_TTL:
        return hit[0]
    value = handling_seconds(service)
    _handling_cache[service.id] = (value, now)
    return value


def forget_handling(service_id: int) -> None:
    _handling_cache.pop(service_id, None)


@dataclass
class _Counter:
    services: list[int]
    free_in: float


@dataclass
class QueueState:
    """What the replay needs: open counters, waiting tickets in call order, handling times."""

    counters: list[_Counter]
    #: (ticket id, service id, priority) oldest first
    waiting: list[tuple[int, int, bool]]
    handling: dict[int, float]
    ahead: dict[int, int] = field(default_factory=dict)


def load_state(day: date) -> QueueState:
    """Read the counters and today's waiting tickets (two queries, plus handling times)."""
    from . import clock

    now = clock.utcnow()
    links: dict[int, list[int]] = {}
    for cid, sid in db.session.execute(
        sa.select(CounterService.counter_id, CounterService.service_id)
        .join(Counter, Counter.id == CounterService.counter_id)
        .where(Counter.active, Counter.state == CounterState.open)
        .order_by(CounterService.counter_id, CounterService.position)
    ):
        links.setdefault(cid, []).append(sid)
    current = Ticket.__table__.alias("current")
    busy = {cid: (sid, called) for cid, sid, called in db.session.execute(
        sa.select(Counter.id, current.c.service_id, current.c.last_called_at)
        .join(current, current.c.id == Counter.current_ticket_id)
        .where(Counter.active, Counter.state == CounterState.open)
    )}
    waiting = [(tid, sid, bool(prio)) for tid, sid, prio in db.session.execute(
        sa.select(Ticket.id, Ticket.service_id, Ticket.priority)
        .where(Ticket.service_day == day, Ticket.status == TicketState.waiting)
        .order_by(Ticket.issued_at, Ticket.id)
    )]
    wanted = {sid for sids in links.values() for sid in sids} | {sid for _, sid, _ in waiting}
    services = {s.id: s for s in db.session.scalars(sa.select(Service).where(Service.id.in_(wanted)))}
    handling = {sid: cached_handling(s) for sid, s in services.items()}
    counters = []
    for cid, sids in links.items():
        free_in = 0.0
        if cid in busy:
            sid, called = busy[cid]
            h = handling.get(sid) or cached_handling(db.session.get(Service, sid))
            elapsed = (now - called).total_seconds() if called else 0.0
            free_in = max(h - elapsed, h / 5)
        counters.append(_Counter(sids, free_in))
    return QueueState(counters, waiting, handling)


def replay(state: QueueState, extra: tuple[int, bool] | None = None) -> dict[int, int]:
    """Seconds until each waiting ticket is called (ticket id -> seconds); ``extra`` adds a
    hypothetical new ticket (service id, priority), reported under id 0."""
    prio: dict[int, deque[int]] = {}
    normal: dict[int, deque[int]] = {}
    order: dict[int, int] = {}
    service_of: dict[int, int] = {}
    tickets = list(state.waiting) + ([(0, extra[0], extra[1])] if extra else [])
    for n, (tid, sid, is_prio) in enumerate(tickets):
        (prio if is_prio else normal).setdefault(sid, deque()).append(tid)
        order[tid] = n
        service_of[tid] = sid
    heap = [(c.free_in, i) for i, c in enumerate(state.counters)]
    heapq.heapify(heap)
    eta: dict[int, int] = {}
    while heap and len(eta) < len(tickets):
        t, i = heapq.heappop(heap)
        sids = state.counters[i].services
        pick = None
        for sid in sids:
            q = prio.get(sid)
            if q and (pick is None or order[q[0]] < order[pick[0]]):
                pick = (q[0], q)
        if pick is None:
            for sid in sids:
                q = normal.get(sid)
                if q:
                    pick = (q[0], q)
                    break
        if pick is None:
            continue  # nothing left this counter may serve
        tid, q = pick
        q.popleft()
        eta[tid] = round(t)
        heapq.heappush(heap, (t + state.handling.get(service_of[tid], 300.0), i))
    # tickets no open counter serves: as if one counter opened for them now
    position: dict[int, int] = {}
    for tid, sid, _ in tickets:
        if tid not in eta:
            eta[tid] = round(position.get(sid, 0) * state.handling.get(sid, 300.0))
        position[sid] = position.get(sid, 0) + 1
    return eta


def forecast(day: date) -> dict[int, int]:
    """Estimated seconds until call for every waiting ticket of ``day``."""
    return replay(load_state(day))


def forecast_new(day: date, service_id: int, *, priority: bool = False, state: QueueState | None = None) -> int:
    """What a ticket for ``service_id`` issued now would be told."""
    return replay(state or load_state(day), (service_id, priority))[0]
