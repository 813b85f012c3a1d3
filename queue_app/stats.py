"""Read-only statistics, computed in SQL from the tickets and their event log.

Definitions (the contract's): ``issued`` counts under the service a ticket was issued for;
``served`` (done), ``no_show`` and ``cancelled`` under the service it ended in. Waits cover every
ticket that was called (``called_at - issued_at``) and belong to the service it was issued for;
service time is ``finished_at - started_at`` of done tickets; ``within_target_pct`` is the share
of called tickets whose wait was within their service's target. The 90th percentile is the
nearest-rank one: the smallest wait that at least 90 % of called tickets did not exceed.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import sqlalchemy as sa

from . import engine
from .database import seconds_between
from .extensions import db
from .models import Agency, Counter, Service, Ticket, TicketState, User
from .schemas import iso

FIGURES = ("issued", "served", "no_show", "cancelled", "waiting_now", "avg_wait_seconds", "p90_wait_seconds",
           "avg_service_seconds", "within_target_pct")


def _services(agency_id: int | None) -> list[Service]:
    stmt = sa.select(Service).order_by(Service.active.desc(), Service.position, Service.code)
    if agency_id is not None:
        stmt = stmt.where(Service.agency_id == agency_id)
    return list(db.session.scalars(stmt))


def summary(first: date, last: date, *, agency_id: int | None = None) -> dict[str, Any]:
    """``GET /api/stats/summary``: figures per service and in total for local days first..last."""
    services = _services(agency_id)
    ids = [s.id for s in services]
    in_range = Ticket.service_day.between(first, last)

    issued = dict(db.session.execute(
        sa.select(Ticket.issued_service_id, sa.func.count()).where(in_range, Ticket.issued_service_id.in_(ids))
        .group_by(Ticket.issued_service_id)).all())
    ended: dict[tuple[int, str], int] = {
        (sid, str(status)): n for sid, status, n in db.session.execute(
            sa.select(Ticket.service_id, Ticket.status, sa.func.count())
            .where(in_range, Ticket.service_id.in_(ids),
                   Ticket.status.in_([TicketState.done, TicketState.no_show, TicketState.cancelled]))
            .group_by(Ticket.service_id, Ticket.status))
    }
    waiting = dict(db.session.execute(
        sa.select(Ticket.service_id, sa.func.count())
        .where(Ticket.service_day == engine.today(), Ticket.status == TicketState.waiting,
               Ticket.service_id.in_(ids))
        .group_by(Ticket.service_id)).all())

    wait = seconds_between(Ticket.issued_at, Ticket.called_at)
    target = Service.target_wait_minutes * 60
    called = (
        sa.select(Ticket.issued_service_id.label("sid"), wait.label("wait"),
                  sa.case((wait <= target, 1), else_=0).label("ok"))
        .join(Service, Service.id == Ticket.issued_service_id)
        .where(in_range, Ticket.called_at.is_not(None), Ticket.issued_service_id.in_(ids))
        .subquery()
    )
    wait_rows = {sid: (n, avg, ok) for sid, n, avg, ok in db.session.execute(
        sa.select(called.c.sid, sa.func.count(), sa.func.avg(called.c.wait), sa.func.sum(called.c.ok))
        .group_by(called.c.sid))}
    p90 = _p90(called, by_service=True)
    service_time = dict(db.session.execute(
        sa.select(Ticket.service_id, sa.func.avg(seconds_between(Ticket.started_at, Ticket.finished_at)))
        .where(in_range, Ticket.status == TicketState.done, Ticket.service_id.in_(ids))
        .group_by(Ticket.service_id)).all())

    rows = []
    for s in services:
        n_called, avg_wait, ok = wait_rows.get(s.id, (0, None, 0))
        figures = {
            "issued": issued.get(s.id, 0),
            "served": ended.get((s.id, "done"), 0),
            "no_show": ended.get((s.id, "no_show"), 0),
            "cancelled": ended.get((s.id, "cancelled"), 0),
            "waiting_now": waiting.get(s.id, 0),
            "avg_wait_seconds": _round(avg_wait),
            "p90_wait_seconds": _round(p90.get(s.id)),
            "avg_service_seconds": _round(service_time.get(s.id)),
            "within_target_pct": _pct(ok, n_called),
        }
        if s.active or any(figures[k] for k in ("issued", "served", "no_show", "cancelled")):
            rows.append({"code": s.code, "name": s.name, "agency": s.agency.code, **figures})

    total_called, total_avg, total_ok = db.session.execute(
        sa.select(sa.func.count(), sa.func.avg(called.c.wait), sa.func.sum(called.c.ok))).one()
    total_service = db.session.scalar(
        sa.select(sa.func.avg(seconds_between(Ticket.started_at, Ticket.finished_at)))
        .where(in_range, Ticket.status == TicketState.done, Ticket.service_id.in_(ids)))
    total = {
        "issued": sum(issued.values()),
        "served": sum(n for (_, st), n in ended.items() if st == "done"),
        "no_show": sum(n for (_, st), n in ended.items() if st == "no_show"),
        "cancelled": sum(n for (_, st), n in ended.items() if st == "cancelled"),
        "waiting_now": sum(waiting.values()),
        "avg_wait_seconds": _round(total_avg),
        "p90_wait_seconds": _round(_p90(called, by_service=False).get(None)),
        "avg_service_seconds": _round(total_service),
        "within_target_pct": _pct(total_ok, total_called),
    }
    return {"from": first.isoformat(), "to": last.isoformat(), "services": rows, "total": total}


def _p90(called: sa.Subquery, *, by_service: bool) -> dict[int | None, float]:
    """Nearest-rank 90th percentile of waits, per service or overall, with window functions (both DBs)."""
    partition = [called.c.sid] if by_service else []
    ranked = sa.select(
        called.c.sid if by_service else sa.literal(None).label("sid"),
        called.c.wait,
        sa.func.row_number().over(partition_by=partition, order_by=called.c.wait).label("rn"),
        sa.func.count().over(partition_by=partition).label("n"),
    ).subquery()
    out: dict[int | None, float] = {}
    # rank ceil(0.9 n) with integer arithmetic, so SQLite needs no math functions
    rank = (9 * ranked.c.n + 9) / 10
    for sid, w in db.session.execute(sa.select(ranked.c.sid, ranked.c.wait).where(ranked.c.rn == rank)):
        out[sid if by_service else None] = float(w)
    return out


def _round(value: float | None) -> int | None:
    return None if value is None else int(round(float(value)))


def _pct(part: int | None, whole: int | None) -> float | None:
    if not whole:
        return None
    return round(100.0 * float(part or 0) / float(whole), 1)


EXPORT_COLUMNS = ("number", "service_day", "issued_service", "service", "agency", "status", "priority", "kiosk",
                  "issued_at", "called_at", "started_at", "finished_at", "wait_seconds", "service_seconds",
                  "counter", "clerk", "recalls")


def export_rows(first: date, last: date, *, agency_id: int | None = None) -> list[list[Any]]:
    """One row per ticket of the range (``GET /api/stats/export.csv``)."""
    issued_service = sa.orm.aliased(Service)
    stmt = (
        sa.select(Ticket, issued_service.code, Service.code, Agency.code, Counter.code, User.username)
        .join(Service, Service.id == Ticket.service_id)
        .join(issued_service, issued_service.id == Ticket.issued_service_id)
        .join(Agency, Agency.id == Service.agency_id)
        .outerjoin(Counter, Counter.id == Ticket.counter_id)
        .outerjoin(User, User.id == Ticket.user_id)
        .where(Ticket.service_day.between(first, last))
        .order_by(Ticket.service_day, Ticket.issued_at, Ticket.id)
    )
    if agency_id is not None:
        stmt = stmt.where(sa.or_(Service.agency_id == agency_id, issued_service.agency_id == agency_id))
    out = []
    for t, issued_code, service_code, agency_code, counter_code, clerk in db.session.execute(stmt):
        wait = (t.called_at - t.issued_at).total_seconds() if t.called_at else None
        service_secs = ((t.finished_at - t.started_at).total_seconds()
                        if t.status is TicketState.done and t.started_at and t.finished_at else None)
        out.append([t.number, t.service_day.isoformat(), issued_code, service_code, agency_code, t.status.value,
                    int(t.priority), t.kiosk or "", iso(t.issued_at), iso(t.called_at) or "",
                    iso(t.started_at) or "", iso(t.finished_at) or "",
                    "" if wait is None else math.floor(wait), "" if service_secs is None else math.floor(service_secs),
                    counter_code or "", clerk or "", t.recalls])
    return out
