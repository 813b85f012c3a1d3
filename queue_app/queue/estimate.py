"""Estimated wait: how long until a ticket is called, forecast from the queue as it stands.

Method (also in docs/estimated-wait.md):

1. *Handling time* h of each service: the mean of ``finished_at - called_at`` over its last
   ``SAMPLE`` finished tickets (done or no-show, or a step of a visit that went on to another service:
   ``VisitStep``) of the last ``HISTORY_DAYS`` days, shrunk towards the
   service's configured typical time with the weight of ``PRIOR_WEIGHT`` tickets. Call-to-finish
   counts the walk to the counter and the no-shows, which occupy a counter too.
2. *Replay*: every open counter (active, not paused, and a clerk's panel connected to it:
   :mod:`queue_app.queue.presence`) becomes free when its current visit is expected to end (h minus the
   time already spent, at least a fifth of h) and then takes the next ticket by its own rule: priority
   tickets of any of its services first (oldest first), then its services in their listed order. Each
   visit lasts the service's h. The moment a waiting ticket is taken is its estimate.

Replaying rather than dividing by a number of counters matters when counters share services: a
counter that lists a service last only reaches it when its earlier queues are empty. A ticket no open
counter serves has no estimate (``None``): nobody is on duty for it, and the screens say so instead of a
wait of 0 minutes. Tickets issued after now
are not foreseen, so a priority visitor arriving later still makes a normal ticket's real wait longer.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.database import WRITE_OPTION, flush_pending, seconds_between
from queue_app.core.extensions import db
from queue_app.core.hooks import app_cache, declare_cache
from queue_app.core.models import Counter, CounterService, CounterState, Service
from queue_app.queue.counts import pending_delta, waiting_column, waiting_counts
from queue_app.queue.models import CounterPresence, DailyNumber, Ticket, TicketState, VisitStep
from queue_app.queue.replay import Forecast, OpenCounter, QueueState, replay
from queue_app.queue.wallclock import WallClock

HANDLING_TTL = 30.0


STATE = declare_cache(
    "estimate:state", where=__name__,
    holds="the whole hall's waiting line and open counters, replayed for the estimates (one a second at most)",
    forgotten="after 1 s (STATE_TTL); at once by this process's calls, transfers, cancels, pauses and bookings "
              "(life.EFFECTS: Cache.forecast); a walk-in issued here is added to it instead; another process's "
              "changes show within the second")
HANDLING = declare_cache(
    "estimate:handling", where=__name__,
    holds="each service's recent handling time (seconds per visitor) from its last finished tickets",
    forgotten="after 30 s (HANDLING_TTL); at once when this process finishes or misses a ticket of the service "
              "(Cache.handling); another process's finishes show within 30 s")


SAMPLE = 20
HISTORY_DAYS = 14
PRIOR_WEIGHT = 3


@functools.cache
def _statements(dialect: str) -> dict[str, sa.Select]:
    """The estimate's queries, built once per dialect: they run on every ticket issued and every call,
    and building SQLAlchemy statements costs more than SQLite takes to run them."""
    finished = (
        sa.select(seconds_between(Ticket.called_at, Ticket.finished_at).label("secs"), Ticket.finished_at.label("at"))
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
    # the steps of visits that went on to another service were handled here too (queue_app.queue.routes)
    steps = (
        sa.select(seconds_between(VisitStep.called_at, VisitStep.finished_at).label("secs"),
                  VisitStep.finished_at.label("at"))
        .where(VisitStep.service_id == sa.bindparam("sid"), VisitStep.finished_at >= sa.bindparam("since"),
               VisitStep.called_at.is_not(None))
        .order_by(VisitStep.finished_at.desc())
        .limit(SAMPLE)
        .subquery()
    )
    both = sa.union_all(sa.select(finished.c.secs, finished.c.at), sa.select(steps.c.secs, steps.c.at)).subquery()
    recent = sa.select(both.c.secs).order_by(both.c.at.desc()).limit(SAMPLE).subquery()
    sid, day, tid, queue_at = (sa.bindparam(n) for n in ("sid", "day", "tid", "queue_at"))
    count = sa.select(sa.func.count()).select_from(Ticket)

    def line(priority: bool) -> sa.Select:
        """Count the waiting tickets of one service's priority or normal tickets: a range of ix_tickets_queue_at."""
        return count.where(Ticket.service_id == sid, Ticket.service_day == day, Ticket.status == TicketState.waiting,
                           Ticket.priority == (sa.true() if priority else sa.false()))

    # the queue time (contract "Queue order"): a booking checked in early is behind walk-ins issued before its
    # slot. Each side is a range of the index (an OR of the two made the database test every waiting ticket).
    before = sa.and_(Ticket.queue_at <= queue_at, sa.or_(Ticket.queue_at < queue_at, Ticket.id < tid))
    after = sa.and_(Ticket.queue_at >= queue_at, sa.or_(Ticket.queue_at > queue_at, Ticket.id > tid))
    # a normal ticket has every priority ticket and the earlier normal ones before it: counted from the front
    # when it is near the front, and as the line's kept count less those behind it when it is near the back
    # (where a visitor who just took a ticket opens its page); either way exact, in one statement (one
    # snapshot), so a line of 3,000 costs two short index ranges instead of one of 3,000. Where it stands is
    # told by the tickets of its service issued after it (``daily_numbers``); this only picks the side.
    waiting_now = waiting_column(sid, day) + sa.bindparam("pending", type_=sa.Integer)
    issued_after = sa.select(sa.func.coalesce(sa.func.max(DailyNumber.last_number), 0)).where(
        DailyNumber.service_id == sid, DailyNumber.service_day == day).scalar_subquery() - sa.bindparam("seq")
    from_the_back = waiting_now - 1 - line(False).where(after).scalar_subquery()
    from_the_front = line(True).scalar_subquery() + line(False).where(before).scalar_subquery()
    current = Ticket.__table__.alias("current")  # the ticket a counter is busy with
    return {
        # with the service's configured typical time, the prior, in the same round trip
        "handling": sa.select(sa.func.sum(recent.c.secs), sa.func.count(),
                              sa.select(Service.typical_service_seconds)
                              .where(Service.id == sa.bindparam("sid")).scalar_subquery()),
        # the open counters with their services in order, and the service and call time of what each serves:
        # open is active, not paused, and a clerk's panel connected to it (queue_app.queue.presence), read
        # here rather than apart so the presence costs the hot paths no round trip of its own
        "open_counters": (
            sa.select(CounterService.counter_id, CounterService.service_id, current.c.service_id,
                      current.c.last_called_at)
            .join(Counter, Counter.id == CounterService.counter_id)
            .outerjoin(current, current.c.id == Counter.current_ticket_id)
            .where(Counter.active, Counter.state == CounterState.open,
                   sa.exists().where(CounterPresence.counter_id == Counter.id,
                                     CounterPresence.expires_at > sa.bindparam(
                                         "now", type_=CounterPresence.expires_at.type)))
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
        # a priority ticket has only earlier priority tickets before it (few)
        "ahead_priority": line(True).where(before),
        # the databases evaluate only the branch taken (SQLite's CASE, PostgreSQL's lazy InitPlans)
        "ahead_normal": sa.select(sa.case((issued_after * 2 < waiting_now, from_the_back), else_=from_the_front)),
    }


@functools.cache
def _new_place_sql() -> tuple[tuple[str, sa.ColumnElement], ...]:
    """A new normal ticket's place, read by its own INSERT (``insert_now``'s ``returning``): everyone waiting
    in its line but itself and the normal tickets queued after it (bookings checked in before their slot).
    Its own bind parameters, apart from the INSERT's columns; queued at its own time, the ticket is not one
    of those "after" (on SQLite the INSERT's RETURNING sees the new row)."""
    later_normal = sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.service_id == sa.bindparam("place_sid"), Ticket.service_day == sa.bindparam("place_day"),
        Ticket.status == TicketState.waiting, Ticket.priority == sa.false(),
        Ticket.queue_at > sa.bindparam("place_queue_at"))
    return (("ahead_at_issue", sa.bindparam("place_others", type_=sa.Integer) - later_normal.scalar_subquery()),)


def new_place(ticket: Ticket, waiting: int) -> tuple[int, tuple[tuple[str, sa.ColumnElement], ...], dict]:
    """The place of a normal ticket being issued, for its INSERT: ``(its likely value, the SQL, its parameters)``.

    :param waiting: its line's kept count with the ticket in it (:func:`queue_app.queue.counts` counts a new
        ticket when its number is taken, and that read waits for the row's lock, so it is the latest).

    Read by the INSERT rather than before it: on PostgreSQL the number's row is locked from the
    number's upsert to the commit, and a read between them was one more round trip while it was. The
    likely value (no booking queued after it) lets the caller estimate its wait before the INSERT; a
    statement after the lock was taken sees every booking checked in before, so the INSERT's is exact.
    """
    others = waiting - 1 + pending_delta(ticket.service.id, ticket.service_day)
    params = {"place_others": others, "place_sid": ticket.service.id, "place_day": ticket.service_day,
              "place_queue_at": ticket.queue_at}
    return others, _new_place_sql(), params


def _stmt(name: str) -> sa.Select:
    return _statements(db.engine.dialect.name)[name]


def _core_rows(name: str, params: dict) -> list[sa.Row]:
    """One of the statements above run on the session's connection: plain rows, without the ORM's handling of
    each (the front of a long line is 300 rows: 0.49 -> 0.32 ms), fetched at once (iterating the result
    fetched them one by one: 300 ``fetchone`` calls). Pending changes are flushed first, as
    ``session.execute`` would."""
    flush_pending()
    return db.session.connection().execute(_stmt(name), params).all()


def handling_seconds(service_id: int) -> float:
    """Recent mean seconds a counter spends on one ticket of this service (see module doc)."""
    since = clock.utcnow() - timedelta(days=HISTORY_DAYS)
    total, n, prior = db.session.execute(_stmt("handling"), {"sid": service_id, "since": since}).one()
    if prior is None:
        raise LookupError(f"no service with id {service_id}")
    return (float(total or 0) + PRIOR_WEIGHT * float(prior)) / (int(n) + PRIOR_WEIGHT)


def ahead_statement(ticket: Ticket) -> tuple[sa.Select, dict]:
    """The count of :func:`ahead_of` and its parameters (``sid``, ``day``, ``tid``, ``queue_at``...)."""
    stmt = _stmt("ahead_priority" if ticket.priority else "ahead_normal")
    # a ticket not written yet will have the largest id: only the queue time orders it
    tid = ticket.id if ticket.id is not None else NOT_YET_WRITTEN
    sid = ticket.service_id or ticket.service.id
    flush_pending()
    return stmt, {"sid": sid, "day": ticket.service_day, "tid": tid, "queue_at": ticket.queue_at,
                  "seq": ticket.seq or 0, "pending": pending_delta(sid, ticket.service_day)}


NOT_YET_WRITTEN = 2**31 - 1  # the largest INTEGER id


def ahead_of(ticket: Ticket) -> int:
    """Waiting tickets of the same queue that will be called before this one (priority first)."""
    if ticket.status is not TicketState.waiting:
        return 0
    if ticket.id is None and not ticket.priority:
        raise ValueError("a normal ticket being issued has its place from new_place()")
    stmt, params = ahead_statement(ticket)
    return int(db.session.connection().execute(stmt, params).scalar_one())


# --- forecast by replaying the queue ---------------------------------------------------------

#: At most this many waiting tickets are replayed one by one; later ones are extrapolated from the
#: replay's pace per service, so a queue of thousands costs no more than a normal one
MAX_REPLAY = 300


def cached_handling(service_id: int) -> float:
    """:func:`handling_seconds`, remembered for ``HANDLING_TTL`` s per process (it is a statistic, not
    queue state; a finish in this process forgets it at once via :func:`forget_handling`)."""
    now = time.monotonic()
    cache = app_cache(HANDLING)
    hit = cache.get(service_id)
    if hit is not None and now - hit[1] < HANDLING_TTL:
        return hit[0]
    value = handling_seconds(service_id)
    cache[service_id] = (value, now)
    return value


def forget_handling(service_id: int) -> None:
    app_cache(HANDLING).pop(service_id, None)
    forget_forecast()


def load_state(day: date) -> QueueState:
    """Read the open counters and today's waiting tickets (three small queries)."""
    from queue_app.core import clock

    now = clock.utcnow()
    counters: dict[int, OpenCounter] = {}
    busy: dict[int, tuple[int, object]] = {}
    for cid, sid, cur_sid, called in _core_rows("open_counters", {"now": now}):
        counters.setdefault(cid, OpenCounter([], 0.0)).services.append(sid)
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


def forecast(day: date) -> tuple[QueueState, Forecast]:
    """The queue state and its replay, for every waiting ticket of ``day``, read now.

    Read outside a write, the state also becomes this process's :func:`recent_state`: after a call the
    hub reads it for the phones, and the kiosks' tiles and tickets of the next second replay from it
    instead of reading the line again.
    """
    state = load_state(day)
    if not db.session().connection().get_execution_options().get(WRITE_OPTION):
        app_cache(STATE)["s"] = (clock.utcnow(), day, state)
    fc = state.replayed = replay(state)  # the same replay :func:`_shared_replay` would run
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
    recent = app_cache(STATE)
    hit = recent.get("s")
    if hit is not None and hit[1] == day and timedelta(0) <= now - hit[0] < STATE_TTL:
        return hit[2], (now - hit[0]).total_seconds()
    state = load_state(day)
    recent["s"] = (now, day, state)
    return state, 0.0


def forget_forecast() -> None:
    app_cache(STATE).clear()


def _aged(state: QueueState, age: float) -> QueueState:
    """``state`` with its counters' free times moved on by ``age`` seconds."""
    if not age:
        return state
    return QueueState([OpenCounter(c.services, max(c.free_in - age, 0.0)) for c in state.counters],
                      state.waiting, state.totals, state.handling)


def _shared_replay(state: QueueState) -> Forecast:
    """The replay of the state's first ``MAX_REPLAY`` tickets, once per loaded state.

    The phones' views of the state's second (up to 1 s, :data:`STATE_TTL`) read it, and so do the kiosk's
    tickets and tiles of a long line: a ticket joining a line that long lies past the replay, so it changes
    nothing the replay computes, and they share one replay instead of each running the same few hundred
    steps. Tickets :func:`remember_new` appends past it leave it; one appended inside it, or inserted ahead
    (a priority ticket), drops it.
    """
    if state.replayed is None:
        state.replayed = replay(QueueState(state.counters, state.waiting[:MAX_REPLAY], state.totals,
                                           state.handling))
    return state.replayed


def eta_of(day: date, ticket_id: int, service_id: int, ahead: int) -> int | None:
    """The estimate of a waiting ticket with ``ahead`` people before it (a phone's view), from this process's
    :func:`recent_state` and its one replay, moved on by the state's age; None when nobody is on duty for
    its service (no open counter serves it).

    A phone opens its page after taking its ticket, and after a restart or a lost message every phone asks
    again at once: one read and one replay per second serve them all, instead of one each. Its people ahead
    are counted afresh by the caller; like the kiosk's tiles, the estimate may miss another process's change
    of the last second.
    """
    state, age = recent_state(day)
    served = _shared_replay(state).serving_of(ticket_id, service_id, ahead)
    return None if served is None else max(0, WallClock().seconds(service_id, max(0.0, served - age)))


def _on_clock(wall: WallClock, service_id: int, serving: float | None, age: float = 0.0) -> int | None:
    """Seconds of serving (less the state's age) on the wall clock; None stays None (nobody on duty)."""
    return None if serving is None else max(0, wall.seconds(service_id, max(0.0, serving - age)))


def forecast_new(day: date, service_id: int, *, priority: bool = False) -> Callable[[int], int | None]:
    """The estimate of a ticket for ``service_id`` joining its queue now, as a function of the people ahead
    of it: the replay is done now, the estimate once they are counted (issuing a ticket replays before it
    takes the day's number, so the row is locked for less time). Remember the ticket with :func:`remember_new`.
    The function answers None when nobody is on duty for the service.
    """
    state, age = recent_state(day)
    if not state.serves(service_id):
        return lambda ahead: None
    if len(state.waiting) >= MAX_REPLAY:
        # past the replay: the line's shared replay, its times moved on by the state's age
        fc, wall = _shared_replay(state), WallClock()
        return lambda ahead: _on_clock(wall, service_id, fc.serving_of(-1, service_id, ahead), age)
    state = _aged(state, age)
    # replayed with the others (it may displace other services' tickets at counters preferring its
    # service); in a very long queue it lies past the replay and Forecast.of continues from there
    extra = (-1, service_id, priority) if len(state.waiting) < MAX_REPLAY else None
    fc = replay(state, extra)
    return lambda ahead: _on_clock(WallClock(), service_id, fc.serving_of(-1, service_id, ahead))


def estimate_joining(day: date, ahead: dict[int, int]) -> dict[int, int | None]:
    """:func:`forecast_new` of a normal ticket for each service in ``ahead`` (service id → people ahead),
    from one replay: the kiosk's tiles ask for every service at once. None for a service nobody is on duty for."""
    state, age = recent_state(day)
    clock_ = WallClock()
    if len(state.waiting) >= MAX_REPLAY:  # each joiner lies past the replay: the line's shared one continues
        fc = _shared_replay(state)
        return {sid: _on_clock(clock_, sid, fc.serving_of(-1, sid, n), age) for sid, n in ahead.items()}
    fc = replay(_aged(state, age), joiners=frozenset(ahead))
    # a service some open counter serves always has its join time; the others have nobody on duty
    return {sid: _on_clock(clock_, sid, round(fc.joins[sid]) if sid in fc.joins else None) for sid in ahead}


def nobody_on_duty(day: date, service_id: int) -> bool:
    """Whether no open counter serves the service now (this process's queue state of the last second)."""
    return not recent_state(day)[0].serves(service_id)


def remember_new(day: date, ticket_id: int, service_id: int, priority: bool) -> None:
    """Add a ticket just issued (at the back of its line) to this process's cached queue state."""
    hit = app_cache(STATE).get("s")
    if hit is None or hit[1] != day:
        return
    waiting = hit[2].waiting
    # keep call order: priority tickets before normal ones, each oldest first
    at = sum(1 for w in waiting if w[2]) if priority else len(waiting)
    waiting.insert(at, (ticket_id, service_id, priority))
    if at < MAX_REPLAY:
        hit[2].replayed = None  # it changes the replayed front
    hit[2].totals[service_id] = hit[2].totals.get(service_id, 0) + 1
