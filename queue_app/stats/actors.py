"""Figures per counter and per clerk, from the event log: ``calls`` are every call event, ``served`` the visits
(or visit steps) finished there, waits those of the tickets whose *first* call happened there (see
:mod:`queue_app.stats.figures`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.core.models import Counter, Service
from queue_app.queue.models import EventKind, Ticket, TicketEvent, TicketState, VisitStep
from queue_app.staff.models import User

from .sql import _p90_rank, _pct, _round, _services, seconds


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

    # a step of a visit that went on to another service (routed) was served there too
    names = {EventKind.called: "calls", EventKind.recalled: "recalls", EventKind.finished: "served",
             EventKind.routed: "served", EventKind.no_show: "no_show", EventKind.transferred: "transferred"}
    for k, kind, n in db.session.execute(
        sa.select(key, ev.kind, sa.func.count()).join(Ticket, Ticket.id == ev.ticket_id)
        .where(in_range, ev.kind.in_(list(names)), key.is_not(None), *scope)
        .group_by(key, ev.kind)
    ):
        row(k)[names[EventKind(kind)]] += n

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
    sums: dict[Any, list[float]] = {}
    for k, total, n in db.session.execute(
        sa.select(key, sa.func.sum(svc), sa.func.count(svc)).join(Ticket, Ticket.id == ev.ticket_id)
        .where(in_range, ev.kind == EventKind.finished, Ticket.status == TicketState.done, key.is_not(None),
               *scope)
        .group_by(key)
    ):
        sums[k] = [float(total or 0), int(n)]
    # and the steps of visits finished here that went on elsewhere, with their own times
    step_key = VisitStep.counter_id if key is TicketEvent.counter_id else VisitStep.user_id
    step_svc = seconds(VisitStep.started_at, VisitStep.finished_at)
    step_scope = [VisitStep.service_id.in_([s.id for s in _services(agency_id)])] if agency_id is not None else []
    for k, total, n in db.session.execute(
        sa.select(step_key, sa.func.sum(step_svc), sa.func.count(step_svc))
        .join(Ticket, Ticket.id == VisitStep.ticket_id)
        .where(in_range, step_key.is_not(None), *step_scope)
        .group_by(step_key)
    ):
        acc = sums.setdefault(k, [0.0, 0])
        acc[0] += float(total or 0)
        acc[1] += int(n)
    for k, (total, n) in sums.items():
        if n:
            row(k)["avg_service_seconds"] = _round(total / n)
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
