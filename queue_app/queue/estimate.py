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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.database import WRITE_OPTION, seconds_between
from queue_app.core.extensions import db
from queue_app.core.models import Counter, CounterService, CounterState, Service
from queue_app.core.site import app_cache
from queue_app.queue.counts import pending_delta, waiting_column, waiting_counts
from queue_app.queue.models import Ticket, TicketState
from queue_app.queue.wallclock import WallClock

HANDLING_TTL = 30.0


def _cache(name: str) -> dict:
    return app_cache(f"estimate:{name}")


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
    # the queue time (contract "Queue order"): a booking checked in early is behind walk-ins issued before its slot
    earlier = sa.or_(
        Ticket.queue_at < sa.bindparam("queue_at"),
        sa.and_(Ticket.queue_at == sa.bindparam("queue_at"), Ticket.id < sa.bindparam("tid")),
    )
    count = sa.select(sa.func.count()).select_from(Ticket)
    later_normal = count.where(Ticket.service_id == sa.bindparam("sid"), Ticket.service_day == sa.bindparam("day"),
                               Ticket.status == TicketState.waiting, Ticket.priority == sa.false(),
                               Ticket.queue_at > sa.bindparam("queue_at"))
    current = Ticket.__table__.alias("current")  # the ticket a counter is busy with
    return {
        # with the service's configured typical time, the prior, in the same round trip
        "handling": sa.select(sa.func.sum(recent.c.secs), sa.func.count(),
                              sa.select(Service.typical_service_seconds)
                              .where(Service.id == sa.bindparam("sid")).scalar_subquery()),
        # the open counters with their services in order, and the service and call time of what each serves
        "open_counters": (
            sa.select(CounterService.counter_id, CounterService.service_id, current.c.service_id,
                      current.c.last_called_at)
            .join(Counter, Counter.id == CounterService.counter_id)
            .outerjoin(current, current.c.id == Counter.current_ticket_id)
            .where(Counter.active, Counter.state == CounterState.open)
            .order_by(CounterService.counter_id, CounterService.position)
        ),
        # the first ``n`` waiting tickets of the day with priority ``prio``, from the front of ix_tickets_line
        "front": (
            sa.select(Ticket.id, Ticket.service_id)
            .where(Ticket.service_day == sa.bindparam("day"), Ticket.status == TicketState.waiting,
                   Ticket.priority == sa.bindparam("prio"))
            .order_by(Ticket.queue_at, Ticket.id)
            .limit(sa.bindparam("n", type_=sa.Integer))
        ),
        # a priority ticket has only earlier priority tickets before it; anyone else has every
        # priority ticket and every earlier ticket before it
        "ahead_priority": count.where(same_queue, Ticket.priority, earlier),
        "ahead_normal": count.where(same_queue, sa.or_(Ticket.priority, earlier)),
        # a normal ticket not written yet (its id will be the largest): everyone waiting but the normal
        # tickets queued after it, from the kept count rather than counting the line
        "ahead_new": sa.select(waiting_column(sa.bindparam("sid"), sa.bindparam("day"))
                               - later_normal.scalar_subquery()),
    }


def _stmt(name: str) -> sa.Select:
    return _statements(db.engine.dialect.name)[name]


def _core_rows(name: str, params: dict) -> sa.CursorResult:
    """One of the statements above run on the session's connection: plain rows, without the ORM's handling of
    each (the front of a long line is 300 rows: 0.49 -> 0.32 ms). Pending changes are flushed first, as
    ``session.execute`` would."""
    session = db.session()
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    return session.connection().execute(_stmt(name), params)


def handling_seconds(service_id: int) -> float:
    """Recent mean seconds a counter spends on one ticket of this service (see module doc)."""
    since = clock.utcnow() - timedelta(days=HISTORY_DAYS)
    total, n, prior = db.session.execute(_stmt("handling"), {"sid": service_id, "since": since}).one()
    if prior is None:
        raise LookupError(f"no service with id {service_id}")
    return (float(total or 0) + PRIOR_WEIGHT * float(prior)) / (int(n) + PRIOR_WEIGHT)


def ahead_statement(ticket: Ticket) -> tuple[sa.Select, dict]:
    """The count of :func:`ahead_of` and its parameters (``sid``, ``day``, ``tid``, ``queue_at``)."""
    stmt = _stmt("ahead_priority" if ticket.priority else "ahead_normal")
    # a ticket not written yet will have the largest id: only the queue time orders it
    tid = ticket.id if ticket.id is not None else NOT_YET_WRITTEN
    return stmt, {"sid": ticket.service_id or ticket.service.id, "day": ticket.service_day, "tid": tid,
                  "queue_at": ticket.queue_at}


NOT_YET_WRITTEN = 2**31 - 1  # the largest INTEGER id


def ahead_of(ticket: Ticket) -> int:
    """Waiting tickets of the same queue that will be called before this one (priority first)."""
    if ticket.status is not TicketState.waiting:
        return 0
    stmt, params = ahead_statement(ticket)
    if ticket.id is None and not ticket.priority:  # issuing: as ahead_normal, without reading the whole line
        stmt = _stmt("ahead_new")
        return int(db.session.execute(stmt, params).scalar_one()) + pending_delta(params["sid"], params["day"])
    return int(db.session.execute(stmt, params).scalar_one())


# --- forecast by replaying the queue ---------------------------------------------------------

#: At most this many waiting tickets are replayed one by one; later ones are extrapolated from the
#: replay's pace per service, so a queue of thousands costs no more than a normal one
MAX_REPLAY = 300


def cached_handling(service_id: int) -> float:
    """:func:`handling_seconds`, remembered for ``HANDLING_TTL`` s per process (it is a statistic, not
    queue state; a finish in this process forgets it at once via :func:`forget_handling`)."""
    now = time.monotonic()
    cache = _cache("handling")
    hit = cache.get(service_id)
    if hit is not None and now - hit[1] < HANDLING_TTL:
        return hit[0]
    value = handling_seconds(service_id)
    cache[service_id] = (value, now)
    return value


def forget_handling(service_id: int) -> None:
    _cache("handling").pop(service_id, None)
    forget_forecast()


@dataclass
class _Counter:
    services: list[int]
    free_in: float


@dataclass
class QueueState:
    """What the replay needs: open counters, the first waiting tickets in call order, handling times."""

    counters: list[_Counter]
    #: (ticket id, service id, priority), priority tickets first, then smallest queue time first
    waiting: list[tuple[int, int, bool]]
    #: waiting tickets per service, including those not loaded
    totals: dict[int, int]
    handling: dict[int, float]
    #: the replay of the first ``MAX_REPLAY`` tickets, kept with a long line's state (:func:`_long_replay`)
    replayed: Forecast | None = field(default=None, compare=False, repr=False)


def load_state(day: date) -> QueueState:
    """Read the open counters and today's waiting tickets (three small queries)."""
    from queue_app.core import clock

    now = clock.utcnow()
    counters: dict[int, _Counter] = {}
    busy: dict[int, tuple[int, object]] = {}
    for cid, sid, cur_sid, called in _core_rows("open_counters", {}):
        counters.setdefault(cid, _Counter([], 0.0)).services.append(sid)
        if cur_sid is not None:
            busy[cid] = (cur_sid, called)
    # priority tickets, then the others, each read from the front of ix_tickets_line (one ORDER BY priority
    # DESC over both would sort the whole line)
    waiting: list[tuple[int, int, bool]] = []
    for prio in (True, False):
        if len(waiting) < MAX_REPLAY:
            rows = _core_rows("front", {"day": day, "prio": prio, "n": MAX_REPLAY - len(waiting)})
            waiting += [(tid, sid, prio) for tid, sid in rows]
    if len(waiting) < MAX_REPLAY:
        totals: dict[int, int] = {}
        for _, sid, _ in waiting:
            totals[sid] = totals.get(sid, 0) + 1
    else:
        totals = waiting_counts(day)
    wanted = {sid for c in counters.values() for sid in c.services} | set(totals)
    handling = {sid: cached_handling(sid) for sid in wanted}
    for cid, (sid, called) in busy.items():
        h = handling[sid] if sid in handling else cached_handling(sid)
        elapsed = (now - called).total_seconds() if called else 0.0
        counters[cid].free_in = max(h - elapsed, h / 5)
    # a stable order, so two processes forecast the same
    return QueueState([counters[c] for c in sorted(counters)], waiting, totals, handling)


@dataclass
class Forecast:
    """The replay's result: when each replayed ticket is called, and where every counter stands after."""

    etas: dict[int, int]
    handling: dict[int, float]
    counters: list[_Counter]
    #: per service: call times of its replayed tickets, in queue order
    times: dict[int, list[float]] = field(default_factory=dict)
    #: when each counter is free again after the replayed tickets
    free_at: list[float] = field(default_factory=list)
    #: per service in ``joiners`` of :func:`replay`: when a normal ticket joining its queue now is called
    joins: dict[int, float] = field(default_factory=dict)
    #: the wall clock of this forecast: its "now" and each service's open windows, looked up once, since
    #: the hub asks for every waiting ticket after a call
    _clock: WallClock | None = None

    def of(self, ticket_id: int, service_id: int, position: int) -> int:
        """Seconds until call of a ticket with ``position`` people ahead of it in its queue, on the wall
        clock: the closed time (a break, the day's end) on the way counts too (see :class:`WallClock`)."""
        if self._clock is None:
            self._clock = WallClock()
        return self._clock.seconds(service_id, self.serving_of(ticket_id, service_id, position))

    def serving_of(self, ticket_id: int, service_id: int, position: int) -> int:
        """Seconds of serving until call: the replay's own figure, as if the site never closed."""
        if ticket_id in self.etas:
            return self.etas[ticket_id]
        times = self.times.get(service_id, [])
        if position < len(times):
            return round(times[position])
        # past the replay: its queue continues on the counters that serve it, as they free up
        h = self.handling.get(service_id, 300.0)
        lanes = sorted(self.free_at[i] for i, c in enumerate(self.counters) if service_id in c.services)
        if not lanes:  # no open counter serves it: as if one opened for it now
            return round(position * h)
        extra = position - len(times)
        if extra > 50:  # a very long queue: the lanes' steady pace is close enough
            return round(lanes[0] + extra * h / len(lanes))
        heap = list(lanes)
        for _ in range(extra):
            heapq.heapreplace(heap, heap[0] + h)
        return round(heap[0])


def replay(state: QueueState, extra: tuple[int, int, bool] | None = None,
           joiners: frozenset[int] = frozenset()) -> Forecast:
    """Replay the queue: who each open counter calls next, and when.

    :param extra: a ticket not in ``state`` yet, ``(id, service id, priority)``, that joins its queue now.
    :param joiners: services for which to find, in the same replay, when a normal ticket joining now
        would be called (:attr:`Forecast.joins`). Such a ticket changes nothing before it is taken, so
        it is taken by the first counter that finds no priority ticket, nothing in the services it lists
        before this one and this one's queue empty: one replay answers every kiosk tile at once.
    """
    prio: dict[int, deque[int]] = {}
    normal: dict[int, deque[int]] = {}
    order: dict[int, int] = {}
    service_of: dict[int, int] = {}
    tickets = state.waiting
    if extra is not None:
        tickets = [*tickets, extra]
    for n, (tid, sid, is_prio) in enumerate(tickets):
        (prio if is_prio else normal).setdefault(sid, deque()).append(tid)
        order[tid] = n
        service_of[tid] = sid
    out = Forecast({}, state.handling, state.counters)
    out.free_at = free_at = [c.free_in for c in state.counters]
    heap = [(c.free_in, i) for i, c in enumerate(state.counters)]
    heapq.heapify(heap)
    # the loop runs once per replayed ticket (up to MAX_REPLAY) for every tile and call: locals, and no
    # look at the priority queues once they are empty
    lists, handling = [c.services for c in state.counters], state.handling
    etas, times, joins = out.etas, out.times, out.joins
    left, left_prio = len(tickets), sum(len(q) for q in prio.values())
    pop, push = heapq.heappop, heapq.heappush
    while heap and left:
        t, i = pop(heap)
        pick = None
        if left_prio:
            for sid in lists[i]:
                q = prio.get(sid)
                if q and (pick is None or order[q[0]] < order[pick[0]]):
                    pick = q
            if pick is not None:
                left_prio -= 1
        if pick is None:
            for sid in lists[i]:
                q = normal.get(sid)
                if q:
                    pick = q
                    break
                if sid in joiners and sid not in joins:
                    joins[sid] = t  # a joiner of this service would be at the front here
            else:
                continue  # nothing left this counter may serve; it stays free from t
        tid = pick.popleft()
        left -= 1
        sid = service_of[tid]
        etas[tid] = round(t)
        times.setdefault(sid, []).append(t)
        free_at[i] = t + handling.get(sid, 300.0)
        push(heap, (free_at[i], i))
    # every ticket is taken: a joiner goes to the first counter serving its service that frees up
    for t, i in sorted(heap):
        for sid in state.counters[i].services:
            if sid in joiners:
                out.joins.setdefault(sid, t)
    return out


def forecast(day: date) -> tuple[QueueState, Forecast]:
    """The queue state and its replay, for every waiting ticket of ``day``, read now.

    Read outside a write, the state also becomes this process's :func:`recent_state`: after a call the
    hub reads it for the phones, and the kiosks' tiles and tickets of the next second replay from it
    instead of reading the line again.
    """
    state = load_state(day)
    if not db.session().connection().get_execution_options().get(WRITE_OPTION):
        _cache("state")["s"] = (clock.utcnow(), day, state)
    fc = replay(state)
    if len(state.waiting) >= MAX_REPLAY:  # the same replay :func:`_long_replay` would run
        state.replayed = fc
    return state, fc


#: How long a process reuses the queue state it loaded for the estimates of new tickets
STATE_TTL = timedelta(seconds=1)


def recent_state(day: date) -> tuple[QueueState, float]:
    """This process's view of ``day``'s queue, at most ``STATE_TTL`` old, and its age in seconds.

    Loading the queue costs more than replaying it, and a ticket issue changes it only by the one
    ticket it adds (which :func:`remember_new` appends). Anything that moves a queue in this process
    (a call, a finish...) drops it via :func:`forget_forecast`; other processes' changes show within
    a second. This keeps the kiosk's hot path at one load per second instead of one per ticket.
    """
    from queue_app.core import clock

    now = clock.utcnow()
    recent = _cache("state")
    hit = recent.get("s")
    if hit is not None and hit[1] == day and timedelta(0) <= now - hit[0] < STATE_TTL:
        return hit[2], (now - hit[0]).total_seconds()
    state = load_state(day)
    recent["s"] = (now, day, state)
    return state, 0.0


def forget_forecast() -> None:
    _cache("state").clear()


def _aged(state: QueueState, age: float) -> QueueState:
    """``state`` with its counters' free times moved on by ``age`` seconds."""
    if not age:
        return state
    return QueueState([_Counter(c.services, max(c.free_in - age, 0.0)) for c in state.counters],
                      state.waiting, state.totals, state.handling)


def _long_replay(state: QueueState) -> Forecast:
    """The replay of a long line's first ``MAX_REPLAY`` tickets, once per loaded state.

    A ticket joining a line that long lies past the replay, so it changes nothing the replay computes:
    the kiosk's tickets and tiles of the state's second (up to 1 s, :data:`STATE_TTL`) share one replay
    instead of each running the same few hundred steps. Tickets :func:`remember_new` appends lie past it
    too; one inserted ahead (a priority ticket) drops it.
    """
    if state.replayed is None:
        state.replayed = replay(QueueState(state.counters, state.waiting[:MAX_REPLAY], state.totals,
                                           state.handling))
    return state.replayed


def forecast_new(day: date, service_id: int, *, priority: bool = False) -> Callable[[int], int]:
    """The estimate of a ticket for ``service_id`` joining its queue now, as a function of the people ahead
    of it: the replay is done now, the estimate once they are counted (issuing a ticket replays before it
    takes the day's number, so the row is locked for less time). Remember the ticket with :func:`remember_new`.
    """
    state, age = recent_state(day)
    if len(state.waiting) >= MAX_REPLAY:
        # past the replay: the line's shared replay, its times moved on by the state's age
        fc, wall = _long_replay(state), WallClock()
        return lambda ahead: max(0, wall.seconds(service_id, max(0.0, fc.serving_of(-1, service_id, ahead) - age)))
    state = _aged(state, age)
    # replayed with the others (it may displace other services' tickets at counters preferring its
    # service); in a very long queue it lies past the replay and Forecast.of continues from there
    extra = (-1, service_id, priority) if len(state.waiting) < MAX_REPLAY else None
    fc = replay(state, extra)
    return lambda ahead: max(0, fc.of(-1, service_id, ahead))


def estimate_joining(day: date, ahead: dict[int, int]) -> dict[int, int]:
    """:func:`forecast_new` of a normal ticket for each service in ``ahead`` (service id → people ahead),
    from one replay: the kiosk's tiles ask for every service at once."""
    state, age = recent_state(day)
    clock_ = WallClock()
    if len(state.waiting) >= MAX_REPLAY:  # each joiner lies past the replay: the line's shared one continues
        fc = _long_replay(state)
        return {sid: max(0, clock_.seconds(sid, max(0.0, fc.serving_of(-1, sid, n) - age)))
                for sid, n in ahead.items()}
    fc = replay(_aged(state, age), joiners=frozenset(ahead))
    out = {}
    for sid, n in ahead.items():
        if sid in fc.joins:
            out[sid] = max(0, clock_.seconds(sid, round(fc.joins[sid])))
        else:  # no open counter serves it: as Forecast.of extrapolates
            out[sid] = max(0, clock_.seconds(sid, fc.serving_of(-1, sid, n)))
    return out


def remember_new(day: date, ticket_id: int, service_id: int, priority: bool) -> None:
    """Add a ticket just issued (at the back of its line) to this process's cached queue state."""
    hit = _cache("state").get("s")
    if hit is None or hit[1] != day:
        return
    waiting = hit[2].waiting
    # keep call order: priority tickets before normal ones, each oldest first
    at = sum(1 for w in waiting if w[2]) if priority else len(waiting)
    waiting.insert(at, (ticket_id, service_id, priority))
    if at < MAX_REPLAY:
        hit[2].replayed = None  # it changes the replayed front
    hit[2].totals[service_id] = hit[2].totals.get(service_id, 0) + 1
