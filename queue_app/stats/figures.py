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

A visit that crosses services (config.toml ``then``) is one ticket walking several steps: each step counts
at its own service, like a ticket of that service: the step's outcome (served) and service time there, and
from its second step on its wait there (first call there minus the moment it began waiting there); it is
issued once, at its first service (:func:`step_rows`). The visit itself is counted once, in ``visits``
(:mod:`queue_app.stats.visits`).

Per counter and per clerk (``by_counter``/``by_clerk``, in :mod:`.actors`) come from the event log: ``calls`` are
``called`` events there (recalls apart), ``served``/``no_show``/``transferred`` the matching
events, wait statistics cover the tickets whose *first* call happened there, service time the
tickets finished there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.core.models import Agency, Service
from queue_app.core.site import today
from queue_app.queue.models import Ticket, TicketState

from .actors import by_clerk, by_counter
from .charts import heatmap, wait_histogram
from .sql import _dialect, _pct, _round, _services, seconds
from .steps import step_rows
from .visits import visit_figures

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
                  seconds(Ticket.started_at, Ticket.finished_at).label("svc"), sa.literal(1).label("iss"))
        .join(Service, Service.id == Ticket.issued_service_id)
        .where(Ticket.service_day.between(first, last),
               sa.or_(Ticket.issued_service_id.in_(ids), Ticket.service_id.in_(ids)))
    )
    if _dialect() == "sqlite":
        t = t.limit(-1)

    def grouped(t: sa.Subquery) -> sa.Select:
        done = t.c.status == TicketState.done
        one = sa.literal(1)

        def n_if(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
            return sa.func.count(sa.case((cond, one)))

        w_int = sa.cast(sa.func.floor(t.c.wait + 0.5), sa.Integer) if _dialect() == "postgresql" \
            else sa.cast(t.c.wait + 0.5, sa.Integer)  # SQLite's CAST truncates toward zero; waits are >= 0
        agency_case = sa.case({sid: aid for sid, aid in agency_of.items()}, value=t.c.isid)
        return (
            sa.select(
                t.c.isid, t.c.fsid, sa.cast(agency_case, sa.Integer).label("aid"), w_int.label("w"),
                sa.func.sum(t.c.iss).label("n"), n_if(done).label("served"),
                n_if(t.c.status == TicketState.no_show).label("no_show"),
                n_if(t.c.status == TicketState.cancelled).label("cancelled"),
                sa.func.count(t.c.wait).label("called"), sa.func.sum(t.c.wait).label("wsum"),
                n_if(t.c.wait <= t.c.target).label("ok"),
                n_if(sa.and_(done, t.c.svc.is_not(None))).label("svc_n"),
                sa.func.sum(sa.case((done, t.c.svc))).label("svc_sum"),
            )
            .group_by(t.c.isid, t.c.fsid, w_int)
        )

    # the tickets' groups, then the groups of the steps of visits that crossed services (each at its own
    # service, never issued there: :func:`~queue_app.stats.steps.step_rows`); every figure below adds up
    # the groups, so a key present in both is simply two groups. Grouped apart, not UNIONed row by row: a
    # compound subquery under the tickets' one pass made SQLite's summary of a year twice as slow
    g = (
        sa.union_all(grouped(t.subquery("t")), grouped(sa.union_all(*step_rows(first, last, ids)).subquery("s")))
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
        .where(Ticket.service_day == today(), Ticket.status == TicketState.waiting,
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
    return {"from": first.isoformat(), "to": last.isoformat(), "services": rows, "total": total.figures(),
            "visits": visit_figures(first, last, agency_id=agency_id)}


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


def daily(first: date, last: date, *, agency_id: int | None = None) -> list[dict[str, Any]]:
    """Counts and waits per local day of the range (the Excel recap's day sheet); one grouped query.

    Every ticket counts on its own day under the agency filter of its issued service, except the
    outcomes (served/no-show/cancelled), which count under the service it ended in, as in the summary; the
    steps of visits that crossed services add their own served and waits (:func:`step_rows`).
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
    per_day: dict[date, list] = {}
    for day, issued, served, no_show, cancelled, called, wait_sum, ok in rows:
        d = day if isinstance(day, date) else date.fromisoformat(str(day))
        per_day[d] = [issued, served, no_show, cancelled, called, float(wait_sum or 0), ok]
    # the steps of visits that crossed services: served and waited at their own services, as in the summary
    steps = sa.union_all(*step_rows(first, last, ids, with_day=True)).subquery()
    for day, served, called, wait_sum, ok in db.session.execute(
        sa.select(steps.c.day, sa.func.count(sa.case((steps.c.status == TicketState.done.value, one))),
                  sa.func.count(steps.c.wait), sa.func.sum(steps.c.wait),
                  sa.func.count(sa.case((steps.c.wait <= steps.c.target, one))))
        .group_by(steps.c.day)
    ):
        d = day if isinstance(day, date) else date.fromisoformat(str(day))
        acc = per_day.setdefault(d, [0, 0, 0, 0, 0, 0.0, 0])
        acc[1] += served
        acc[4] += called
        acc[5] += float(wait_sum or 0)
        acc[6] += ok
    out = []
    for d in sorted(per_day):
        issued, served, no_show, cancelled, called, wait_sum, ok = per_day[d]
        out.append({"day": d.isoformat(), "issued": issued, "served": served, "no_show": no_show,
                    "cancelled": cancelled, "called": called,
                    "avg_wait_seconds": _round(wait_sum / called) if called else None,
                    "within_target_pct": _pct(ok, called)})
    return out


def report(first: date, last: date, *, agency_id: int | None = None) -> dict[str, Any]:
    """The reports page: tables per agency, service, counter and clerk, and the range's charts."""
    s = summary(first, last, agency_id=agency_id)
    return {
        "from": s["from"], "to": s["to"], "total": s["total"], "services": s["services"], "visits": s["visits"],
        "agencies": by_agency(first, last, agency_id=agency_id),
        "counters": by_counter(first, last, agency_id=agency_id),
        "clerks": by_clerk(first, last, agency_id=agency_id),
        "wait_histogram": wait_histogram(first, last, agency_id=agency_id),
        "heatmap": heatmap(first, last, agency_id=agency_id),
    }


