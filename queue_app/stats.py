"""Read-only statistics, computed in SQL from the tickets and their event log.

Definitions (the contract's): ``issued`` counts under the service a ticket was issued for;
``served`` (done), ``no_show`` and ``cancelled`` under the service it ended in. Waits cover every
ticket that was called (``called_at - issued_at``) and belong to the service it was issued for;
service time is ``finished_at - started_at`` of done tickets and belongs to the service it ended in;
``within_target_pct`` is the share of called tickets whose wait was at most their (issued) service's
target. The 90th percentile is the nearest-rank one: the smallest wait that at least 90 % of called
tickets did not exceed. Times are differences of stored UTC instants, exact to the millisecond.
A range is a set of local days (``Ticket.service_day``); ``waiting_now`` is always today's.

Every aggregate runs in the database. The Python code only adds up per-group sums and counts the
database returned (a few rows per service), so the per-agency and total figures are exact too.

Per counter and per clerk (``by_counter``/``by_clerk``) come from the event log: ``calls`` are
``called`` events there (recalls apart), ``served``/``no_show``/``transferred`` the matching
events, wait statistics cover the tickets whose *first* call happened there, service time the
tickets finished there.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from . import clock, engine
from .extensions import db
from .models import (
    Agency,
    Counter,
    CounterService,
    CounterState,
    EventKind,
    Service,
    Ticket,
    TicketEvent,
    TicketState,
    User,
)
from .schemas import iso

FIGURES = ("issued", "served", "no_show", "cancelled", "waiting_now", "avg_wait_seconds", "p90_wait_seconds",
           "avg_service_seconds", "within_target_pct")

#: Longest current wait below this share of the target is green, up to the target amber, above red
AMBER_FROM = 0.75

#: Upper bounds (minutes) of the wait-distribution buckets; the last bucket is open-ended
WAIT_BUCKETS_MIN = (5, 10, 15, 20, 30, 45, 60)

#: Weeks of history the "same weekday" hourly baseline averages over
BASELINE_WEEKS = 8


# --- SQL building blocks --------------------------------------------------------------------------


def _dialect() -> str:
    return db.engine.dialect.name


def seconds(start: sa.ColumnElement, end: sa.ColumnElement) -> sa.ColumnElement[float]:
    """``end - start`` in seconds, exact to the millisecond on both databases.

    SQLite's ``julianday`` carries float noise of ~1e-5 s, enough to put a wait of exactly the
    target on the wrong side of it, so it is rounded to milliseconds. PostgreSQL's ``date_part`` gives
    a float8 computed from whole microseconds, exact at these magnitudes (and far cheaper than the
    numeric ``extract``).
    """
    if _dialect() == "postgresql":
        return sa.func.date_part("epoch", end - start)  # float8: numeric arithmetic is several times slower
    return sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0, 3)


def local_hour(col: sa.ColumnElement, offset_minutes: int) -> sa.ColumnElement[int]:
    """Hour of day (0-23) of a stored UTC instant in the site's zone (fixed offset for the range)."""
    if _dialect() == "postgresql":
        return sa.cast(sa.func.extract("hour", col + sa.text(f"interval '{int(offset_minutes)} minutes'")),
                       sa.Integer)
    return sa.cast(sa.func.strftime("%H", col, f"{int(offset_minutes):+d} minutes"), sa.Integer)


def _offset_minutes(day: date) -> int:
    """The site's UTC offset at noon of ``day`` (Indonesia has no DST, so it is the same all year)."""
    tz = engine.site().tz
    off = datetime.combine(day, datetime.min.time().replace(hour=12), tz).utcoffset() or timedelta(0)
    return int(off.total_seconds() // 60)


def _p90_rank(n: sa.ColumnElement) -> sa.ColumnElement[int]:
    """ceil(0.9 n) with integer arithmetic (SQLite has no ceil without its math extension)."""
    return (9 * n + 9) // 10


# --- figures per group ----------------------------------------------------------------------------


@dataclass
class _Acc:
    """Sums and counts of one group, added up from the database's per-pair rows."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    waiting_now: int = 0
    called: int = 0
    wait_sum: float = 0.0
    within: int = 0
    svc_n: int = 0
    svc_sum: float = 0.0
    p90: float | None = None

    def figures(self) -> dict[str, Any]:
        return {
            "issued": self.issued,
            "served": self.served,
            "no_show": self.no_show,
            "cancelled": self.cancelled,
            "waiting_now": self.waiting_now,
            "avg_wait_seconds": _round(self.wait_sum / self.called) if self.called else None,
            "p90_wait_seconds": _round(self.p90),
            "avg_service_seconds": _round(self.svc_sum / self.svc_n) if self.svc_n else None,
            "within_target_pct": _pct(self.within, self.called),
            "called": self.called,
        }


def _services(agency_id: int | None) -> list[Service]:
    stmt = sa.select(Service).order_by(Service.active.desc(), Service.position, Service.code)
    if agency_id is not None:
        stmt = stmt.where(Service.agency_id == agency_id)
    return list(db.session.scalars(stmt))


def _grouped(first: date, last: date, ids: list[int], agency_of: dict[int, int]) -> tuple[
        list[tuple], dict[int, float], dict[int, float], float | None]:
    """Everything the summary needs from the range's tickets, in one statement with one pass over them.

    A materialized CTE groups the tickets by (issued service, final service, wait rounded to the second)
    with the sums of each group; every figure is then an aggregate over those groups: the per-pair
    sums (issued/ended/wait/service) and the nearest-rank p90 per service, per agency and overall.
    The p90 of waits rounded to the second equals the rounded p90 (rounding is monotonic), and the
    figures are reported in whole seconds, so grouping by the rounded wait loses nothing, while it
    replaces three sorts of every called ticket by one.

    :return: per-pair rows ``(issued_sid, final_sid, issued, served, no_show, cancelled, called,
        wait_sum, within, svc_n, svc_sum)``, p90 per issued service, per agency, overall.
    """
    # each ticket's wait and service time computed once (SQLite would otherwise re-parse the timestamps
    # for every aggregate that uses them; LIMIT -1 keeps it from flattening the subquery)
    t = (
        sa.select(Ticket.issued_service_id.label("isid"), Ticket.service_id.label("fsid"), Ticket.status,
                  (Service.target_wait_minutes * 60).label("target"),
                  seconds(Ticket.issued_at, Ticket.called_at).label("wait"),
                  seconds(Ticket.started_at, Ticket.finished_at).label("svc"))
        .join(Service, Service.id == Ticket.issued_service_id)
        .where(Ticket.service_day.between(first, last),
               sa.or_(Ticket.issued_service_id.in_(ids), Ticket.service_id.in_(ids)))
    )
    if _dialect() == "sqlite":
        t = t.limit(-1)
    t = t.subquery("t")
    done = t.c.status == TicketState.done
    one = sa.literal(1)

    def n_if(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.count(sa.case((cond, one)))

    w_int = sa.cast(sa.func.floor(t.c.wait + 0.5), sa.Integer) if _dialect() == "postgresql" \
        else sa.cast(t.c.wait + 0.5, sa.Integer)  # SQLite's CAST truncates toward zero; waits are >= 0
    agency_case = sa.case({sid: aid for sid, aid in agency_of.items()}, value=t.c.isid)
    g = (
        sa.select(
            t.c.isid, t.c.fsid, sa.cast(agency_case, sa.Integer).label("aid"), w_int.label("w"),
            sa.func.count().label("n"), n_if(done).label("served"),
            n_if(t.c.status == TicketState.no_show).label("no_show"),
            n_if(t.c.status == TicketState.cancelled).label("cancelled"),
            sa.func.count(t.c.wait).label("called"), sa.func.sum(t.c.wait).label("wsum"),
            n_if(t.c.wait <= t.c.target).label("ok"),
            n_if(sa.and_(done, t.c.svc.is_not(None))).label("svc_n"),
            sa.func.sum(sa.case((done, t.c.svc))).label("svc_sum"),
        )
        .group_by(t.c.isid, t.c.fsid, w_int)
        .cte("g")
        .prefix_with("MATERIALIZED")
    )
    null = sa.null()

    def kind(name: str) -> sa.ColumnElement[str]:
        return sa.literal(name, sa.String).label("kind")

    pairs = sa.select(
        kind("pair"), g.c.isid.label("a"), g.c.fsid.label("b"), sa.func.sum(g.c.n), sa.func.sum(g.c.served),
        sa.func.sum(g.c.no_show), sa.func.sum(g.c.cancelled), sa.func.sum(g.c.called), sa.func.sum(g.c.wsum),
        sa.func.sum(g.c.ok), sa.func.sum(g.c.svc_n), sa.func.sum(g.c.svc_sum),
    ).group_by(g.c.isid, g.c.fsid)

    def p90(name: str, key: sa.ColumnElement | None) -> sa.Select:
        called_here = g.c.w.is_not(None) & g.c.isid.in_(ids)
        keyed = key if key is not None else sa.literal(0, sa.Integer)
        per_w = (sa.select(keyed.label("k"), g.c.w, sa.func.sum(g.c.called).label("c"))
                 .where(called_here).group_by(keyed, g.c.w).subquery())
        part = [per_w.c.k]
        cum = sa.select(
            per_w.c.k, per_w.c.w,
            sa.func.sum(per_w.c.c).over(partition_by=part, order_by=per_w.c.w, rows=(None, 0)).label("cum"),
            sa.func.sum(per_w.c.c).over(partition_by=part).label("tot"),
        ).subquery()
        # nearest rank: the smallest wait whose running count reaches ceil(0.9 n), integers only
        reached = cum.c.cum * 10 >= cum.c.tot * 9
        return (sa.select(kind(name), cum.c.k.label("a"), null, sa.func.min(cum.c.w), *[null] * 8)
                .where(reached).group_by(cum.c.k))

    stmt = sa.union_all(pairs, p90("ps", g.c.isid), p90("pa", g.c.aid), p90("pt", None))
    rows: list[tuple] = []
    per_s: dict[int, float] = {}
    per_a: dict[int, float] = {}
    total = None
    for kind_, a, b, *rest in db.session.execute(stmt):
        if kind_ == "pair":
            issued, served, no_show, cancelled, called, wsum, ok, svc_n, svc_sum = (r or 0 for r in rest)
            rows.append((a, b, int(issued), int(served), int(no_show), int(cancelled), int(called), float(wsum),
                         int(ok), int(svc_n), float(svc_sum)))
        elif kind_ == "ps":
            per_s[a] = float(rest[0])
        elif kind_ == "pa":
            per_a[a] = float(rest[0])
        else:
            total = float(rest[0])
    return rows, per_s, per_a, total


def _waiting_now(ids: list[int]) -> dict[int, int]:
    return dict(db.session.execute(
        sa.select(Ticket.service_id, sa.func.count())
        .where(Ticket.service_day == engine.today(), Ticket.status == TicketState.waiting,
               Ticket.service_id.in_(ids))
        .group_by(Ticket.service_id)).all())


def _collect(first: date, last: date, agency_id: int | None) -> tuple[list[Service], dict[int, _Acc],
                                                                      dict[int, _Acc], _Acc]:
    """Accumulators per service, per agency and in total."""
    services = _services(agency_id)
    ids = [s.id for s in services]
    agency_of = {s.id: s.agency_id for s in services}
    per_s = {s.id: _Acc() for s in services}
    per_a: dict[int, _Acc] = {}
    for s in services:
        per_a.setdefault(s.agency_id, _Acc())
    total = _Acc()

    def targets(sid: int) -> list[_Acc]:
        if sid not in per_s:
            return []
        return [per_s[sid], per_a[agency_of[sid]], total]

    if ids:
        pair_rows, p_s, p_a, p_t = _grouped(first, last, ids, agency_of)
        for (isid, fsid, issued, served, no_show, cancelled, called, wait_sum, within, svc_n,
             svc_sum) in pair_rows:
            for acc in targets(isid):
                acc.issued += issued
                acc.called += called
                acc.wait_sum += float(wait_sum or 0)
                acc.within += within
            for acc in targets(fsid):
                acc.served += served
                acc.no_show += no_show
                acc.cancelled += cancelled
                acc.svc_n += svc_n
                acc.svc_sum += float(svc_sum or 0)
        for sid, n in _waiting_now(ids).items():
            for acc in targets(sid):
                acc.waiting_now += n
        for sid, v in p_s.items():
            per_s[sid].p90 = v
        for aid, v in p_a.items():
            per_a[aid].p90 = v
        total.p90 = p_t
    return services, per_s, per_a, total


def summary(first: date, last: date, *, agency_id: int | None = None) -> dict[str, Any]:
    """``GET /api/stats/summary``: figures per service and in total for local days first..last."""
    services, per_s, _per_a, total = _collect(first, last, agency_id)
    rows = []
    for s in services:
        figures = per_s[s.id].figures()
        if s.active or any(figures[k] for k in ("issued", "served", "no_show", "cancelled")):
            rows.append({"code": s.code, "name": s.name, "agency": s.agency.code,
                         "target_wait_minutes": s.target_wait_minutes, **figures})
    return {"from": first.isoformat(), "to": last.isoformat(), "services": rows, "total": total.figures()}


def by_agency(first: date, last: date, *, agency_id: int | None = None) -> list[dict[str, Any]]:
    """Figures per agency (same definitions as the summary, services grouped by their agency)."""
    services, _per_s, per_a, _total = _collect(first, last, agency_id)
    agencies = {a.id: a for a in db.session.scalars(sa.select(Agency).where(Agency.id.in_(per_a)))}
    out = []
    for aid in dict.fromkeys(s.agency_id for s in services):
        a = agencies[aid]
        figures = per_a[aid].figures()
        if a.active or figures["issued"] or figures["served"]:
            out.append({"code": a.code, "name": a.name, **figures})
    return out


# --- per counter and per clerk, from the event log ------------------------------------------------


def _by_actor(first: date, last: date, key: sa.ColumnElement, agency_id: int | None) -> dict[Any, dict[str, Any]]:
    """Event-log figures grouped by ``key`` (the event's counter or user)."""
    ev = TicketEvent
    in_range = Ticket.service_day.between(first, last)
    scope = [ev.service_id.in_([s.id for s in _services(agency_id)])] if agency_id is not None else []
    out: dict[Any, dict[str, Any]] = {}

    def row(k: Any) -> dict[str, Any]:
        return out.setdefault(k, {"calls": 0, "recalls": 0, "served": 0, "no_show": 0, "transferred": 0,
                                  "first_calls": 0, "avg_wait_seconds": None, "p90_wait_seconds": None,
                                  "avg_service_seconds": None, "within_target_pct": None})

    names = {EventKind.called: "calls", EventKind.recalled: "recalls", EventKind.finished: "served",
             EventKind.no_show: "no_show", EventKind.transferred: "transferred"}
    for k, kind, n in db.session.execute(
        sa.select(key, ev.kind, sa.func.count()).join(Ticket, Ticket.id == ev.ticket_id)
        .where(in_range, ev.kind.in_(list(names)), key.is_not(None), *scope)
        .group_by(key, ev.kind)
    ):
        row(k)[names[EventKind(kind)]] = n

    # waits of the tickets whose first call happened here (its event's time is the ticket's called_at)
    wait = seconds(Ticket.issued_at, Ticket.called_at)
    first_call = (
        sa.select(key.label("k"), wait.label("w"),
                  sa.case((wait <= Service.target_wait_minutes * 60, 1), else_=0).label("ok"))
        .join(Ticket, Ticket.id == ev.ticket_id)
        .join(Service, Service.id == Ticket.issued_service_id)
        .where(in_range, ev.kind == EventKind.called, ev.at == Ticket.called_at, key.is_not(None), *scope)
        .subquery()
    )
    for k, n, avg, ok in db.session.execute(
        sa.select(first_call.c.k, sa.func.count(), sa.func.avg(first_call.c.w), sa.func.sum(first_call.c.ok))
        .group_by(first_call.c.k)
    ):
        r = row(k)
        r.update(first_calls=n, avg_wait_seconds=_round(avg), within_target_pct=_pct(ok, n))
    ranked = sa.select(
        first_call.c.k, first_call.c.w,
        sa.func.row_number().over(partition_by=first_call.c.k, order_by=first_call.c.w).label("rn"),
        sa.func.count().over(partition_by=first_call.c.k).label("n"),
    ).subquery()
    for k, w in db.session.execute(sa.select(ranked.c.k, ranked.c.w).where(ranked.c.rn == _p90_rank(ranked.c.n))):
        row(k)["p90_wait_seconds"] = _round(w)

    svc = seconds(Ticket.started_at, Ticket.finished_at)
    for k, avg in db.session.execute(
        sa.select(key, sa.func.avg(svc)).join(Ticket, Ticket.id == ev.ticket_id)
        .where(in_range, ev.kind == EventKind.finished, Ticket.status == TicketState.done, key.is_not(None),
               *scope)
        .group_by(key)
    ):
        row(k)["avg_service_seconds"] = _round(avg)
    return out


def by_counter(first: date, last: date, *, agency_id: int | None = None) -> list[dict[str, Any]]:
    """Figures per counter (event log); see the module docstring."""
    figures = _by_actor(first, last, TicketEvent.counter_id, agency_id)
    counters = db.session.scalars(sa.select(Counter).order_by(Counter.active.desc(), Counter.position)).all()
    return [{"code": c.code, "name": c.name, "zone": c.zone, **figures[c.id]} for c in counters if c.id in figures]


def by_clerk(first: date, last: date, *, agency_id: int | None = None) -> list[dict[str, Any]]:
    """Figures per clerk (the user who acted, from the event log)."""
    figures = _by_actor(first, last, TicketEvent.user_id, agency_id)
    users = db.session.scalars(sa.select(User).where(User.id.in_(list(figures))).order_by(User.username)).all()
    return [{"username": u.username, "name": u.full_name or u.username, **figures[u.id]} for u in users]


# --- charts -----------------------------------------------------------------------------------------


def wait_histogram(first: date, last: date, *, agency_id: int | None = None) -> list[dict[str, Any]]:
    """Called tickets per wait bucket (minutes): ``[{"from", "to", "count"}]``; the last ``to`` is None."""
    wait = seconds(Ticket.issued_at, Ticket.called_at)
    bucket = sa.case(*[(wait < m * 60, i) for i, m in enumerate(WAIT_BUCKETS_MIN)], else_=len(WAIT_BUCKETS_MIN))
    ids = [s.id for s in _services(agency_id)]
    counts = dict(db.session.execute(
        sa.select(bucket, sa.func.count())
        .where(Ticket.service_day.between(first, last), Ticket.called_at.is_not(None),
               Ticket.issued_service_id.in_(ids))
        .group_by(bucket)).all())
    bounds = (0, *WAIT_BUCKETS_MIN, None)
    return [{"from": bounds[i], "to": bounds[i + 1], "count": counts.get(i, 0)} for i in range(len(bounds) - 1)]


def hourly(day: date, *, agency_id: int | None = None) -> dict[str, Any]:
    """Arrivals (issued) and first calls per local hour of ``day``, and the same weekday's average.

    The baseline averages the same weekday of the previous ``BASELINE_WEEKS`` weeks, over the days
    that had any ticket (a public holiday does not drag the average down).
    """
    ids = [s.id for s in _services(agency_id)]
    off = _offset_minutes(day)
    past = [day - timedelta(weeks=w) for w in range(1, BASELINE_WEEKS + 1)]

    def per_hour(col: sa.ColumnElement, days: list[date], extra: list) -> dict[int, int]:
        h = local_hour(col, off)
        return dict(db.session.execute(
            sa.select(h, sa.func.count())
            .where(Ticket.service_day.in_(days), Ticket.issued_service_id.in_(ids), *extra)
            .group_by(h)).all())

    arrivals = per_hour(Ticket.issued_at, [day], [])
    calls = per_hour(Ticket.called_at, [day], [Ticket.called_at.is_not(None)])
    base_arr = per_hour(Ticket.issued_at, past, [])
    base_calls = per_hour(Ticket.called_at, past, [Ticket.called_at.is_not(None)])
    n_days = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Ticket.service_day)))
        .where(Ticket.service_day.in_(past), Ticket.issued_service_id.in_(ids))) or 0
    hours = list(range(24))

    def avg(d: dict[int, int]) -> list[float]:
        return [round(d.get(h, 0) / n_days, 2) if n_days else 0 for h in hours]

    return {
        "day": day.isoformat(), "hours": hours, "baseline_days": int(n_days),
        "arrivals": [arrivals.get(h, 0) for h in hours], "calls": [calls.get(h, 0) for h in hours],
        "arrivals_avg": avg(base_arr), "calls_avg": avg(base_calls),
    }


def heatmap(first: date, last: date, *, agency_id: int | None = None) -> dict[str, Any]:
    """Arrivals per local day x hour of the range: ``{"days": [...], "hours": [...], "cells": [[n]]}``.

    Up to 31 days the rows are dates; a longer range is folded onto weekdays (1 = Monday) and summed.
    """
    ids = [s.id for s in _services(agency_id)]
    h = local_hour(Ticket.issued_at, _offset_minutes(first))
    rows = db.session.execute(
        sa.select(Ticket.service_day, h, sa.func.count())
        .where(Ticket.service_day.between(first, last), Ticket.issued_service_id.in_(ids))
        .group_by(Ticket.service_day, h)).all()
    by_weekday = (last - first).days >= 31
    if by_weekday:
        days: list[Any] = list(range(1, 8))
    else:
        days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    cells: dict[tuple[Any, int], int] = {}
    for day, hour, n in rows:
        d = date.fromisoformat(str(day)) if not isinstance(day, date) else day
        k = d.isoweekday() if by_weekday else d.isoformat()
        cells[(k, int(hour))] = cells.get((k, int(hour)), 0) + n
    used = sorted({hh for _, hh in cells}) or list(range(8, 16))
    hours = list(range(min(used), max(used) + 1))
    return {"mode": "weekday" if by_weekday else "date", "days": days, "hours": hours,
            "cells": [[cells.get((d, hh), 0) for hh in hours] for d in days],
            "max": max(cells.values(), default=0)}


# --- the live dashboard -------------------------------------------------------------------------


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
    day = engine.today()
    services = [s for s in _services(agency_id) if s.active]
    ids = [s.id for s in services]

    waiting = {sid: (n, oldest) for sid, n, oldest in db.session.execute(
        sa.select(Ticket.service_id, sa.func.count(), sa.func.min(Ticket.issued_at))
        .where(Ticket.service_day == day, Ticket.status == TicketState.waiting, Ticket.service_id.in_(ids))
        .group_by(Ticket.service_id))}
    counters_of = {sid: (n_open, n_all) for sid, n_open, n_all in db.session.execute(
        sa.select(CounterService.service_id, sa.func.count(sa.case((Counter.state == CounterState.open, 1))),
                  sa.func.count())
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
                             "state_since": iso(c.state_since), "current": current})

    today_figures = summary(day, day, agency_id=agency_id)
    agency = db.session.get(Agency, agency_id) if agency_id is not None else None
    return {
        "day": day.isoformat(), "at": iso(now), "amber_from": AMBER_FROM,
        "agency": None if agency is None else {"code": agency.code, "name": agency.name},
        "services": service_rows, "counters": counter_rows,
        "today": today_figures["total"], "today_services": today_figures["services"],
        "hourly": hourly(day, agency_id=agency_id),
        "wait_histogram": wait_histogram(day, day, agency_id=agency_id),
    }


def daily(first: date, last: date, *, agency_id: int | None = None) -> list[dict[str, Any]]:
    """Counts and waits per local day of the range (the Excel recap's day sheet); one grouped query.

    Every ticket counts on its own day under the agency filter of its issued service, except the
    outcomes (served/no-show/cancelled), which count under the service it ended in, as in the summary.
    """
    ids = [s.id for s in _services(agency_id)]
    if not ids:
        return []
    wait = seconds(Ticket.issued_at, Ticket.called_at)
    issued_here = Ticket.issued_service_id.in_(ids)
    ended_here = Ticket.service_id.in_(ids)
    one = sa.literal(1)

    def n_if(*cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.count(sa.case((sa.and_(*cond), one)))

    rows = db.session.execute(
        sa.select(
            Ticket.service_day, n_if(issued_here),
            n_if(ended_here, Ticket.status == TicketState.done),
            n_if(ended_here, Ticket.status == TicketState.no_show),
            n_if(ended_here, Ticket.status == TicketState.cancelled),
            n_if(issued_here, Ticket.called_at.is_not(None)),
            sa.func.sum(sa.case((issued_here, wait))),
            n_if(issued_here, wait <= Service.target_wait_minutes * 60),
        )
        .join(Service, Service.id == Ticket.issued_service_id)
        .where(Ticket.service_day.between(first, last), sa.or_(issued_here, ended_here))
        .group_by(Ticket.service_day).order_by(Ticket.service_day))
    out = []
    for day, issued, served, no_show, cancelled, called, wait_sum, ok in rows:
        d = day if isinstance(day, date) else date.fromisoformat(str(day))
        out.append({"day": d.isoformat(), "issued": issued, "served": served, "no_show": no_show,
                    "cancelled": cancelled, "called": called,
                    "avg_wait_seconds": _round(float(wait_sum) / called) if called else None,
                    "within_target_pct": _pct(ok, called)})
    return out


def report(first: date, last: date, *, agency_id: int | None = None) -> dict[str, Any]:
    """The reports page: tables per agency, service, counter and clerk, and the range's charts."""
    s = summary(first, last, agency_id=agency_id)
    return {
        "from": s["from"], "to": s["to"], "total": s["total"], "services": s["services"],
        "agencies": by_agency(first, last, agency_id=agency_id),
        "counters": by_counter(first, last, agency_id=agency_id),
        "clerks": by_clerk(first, last, agency_id=agency_id),
        "wait_histogram": wait_histogram(first, last, agency_id=agency_id),
        "heatmap": heatmap(first, last, agency_id=agency_id),
    }


# --- helpers --------------------------------------------------------------------------------------


def _as_utc(value: Any) -> datetime | None:
    """``min()`` over a UTC column comes back raw (naive, or a string on SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _round(value: float | None) -> int | None:
    return None if value is None else int(math.floor(float(value) + 0.5))


def _pct(part: int | None, whole: int | None) -> float | None:
    if not whole:
        return None
    return round(100.0 * float(part or 0) / float(whole), 1)


# --- export ----------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("number", "service_day", "issued_service", "service", "agency", "status", "priority", "kiosk",
                  "issued_at", "called_at", "started_at", "finished_at", "wait_seconds", "service_seconds",
                  "counter", "clerk", "recalls", "estimated_wait_seconds")


def export_rows(first: date, last: date, *, agency_id: int | None = None) -> Iterator[list[Any]]:
    """One row per ticket of the range (``GET /api/stats/export.csv``), streamed from a plain column select."""
    issued_service = aliased(Service)
    stmt = (
        sa.select(Ticket.number, Ticket.service_day, issued_service.code, Service.code, Agency.code, Ticket.status,
                  Ticket.priority, Ticket.kiosk, Ticket.issued_at, Ticket.called_at, Ticket.started_at,
                  Ticket.finished_at, Counter.code, User.username, Ticket.recalls, Ticket.estimated_wait_seconds)
        .join(Service, Service.id == Ticket.service_id)
        .join(issued_service, issued_service.id == Ticket.issued_service_id)
        .join(Agency, Agency.id == Service.agency_id)
        .outerjoin(Counter, Counter.id == Ticket.counter_id)
        .outerjoin(User, User.id == Ticket.user_id)
        .where(Ticket.service_day.between(first, last))
        .order_by(Ticket.service_day, Ticket.issued_at, Ticket.id)
        .execution_options(yield_per=2000)
    )
    if agency_id is not None:
        stmt = stmt.where(sa.or_(Service.agency_id == agency_id, issued_service.agency_id == agency_id))
    tz = engine.site().tz

    def fmt(dt: datetime | None) -> str:
        return "" if dt is None else dt.astimezone(tz).isoformat(timespec="seconds")

    for (number, day, issued_code, service_code, agency_code, status, priority, kiosk, issued_at, called_at,
         started_at, finished_at, counter_code, clerk, recalls, eta) in db.session.execute(stmt):
        wait = math.floor((called_at - issued_at).total_seconds()) if called_at else ""
        done = status is TicketState.done and started_at and finished_at
        service_secs = math.floor((finished_at - started_at).total_seconds()) if done else ""
        yield [number, day.isoformat(), issued_code, service_code, agency_code, status.value, int(priority),
               kiosk or "", fmt(issued_at), fmt(called_at), fmt(started_at), fmt(finished_at), wait, service_secs,
               counter_code or "", clerk or "", recalls, "" if eta is None else eta]
