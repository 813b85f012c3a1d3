"""The dashboard's and the reports' charts: wait distribution, arrivals per hour, the day x hour heat map."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.queue.models import Ticket

from .sql import _offset_minutes, _services, local_hour, seconds
from .steps import step_rows

#: Upper bounds (minutes) of the wait-distribution buckets; the last bucket is open-ended
WAIT_BUCKETS_MIN = (5, 10, 15, 20, 30, 45, 60)

#: Weeks of history the "same weekday" hourly baseline averages over
BASELINE_WEEKS = 8


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
    # and the waits at the later steps of visits that crossed services, each at its own service
    steps = sa.union_all(*step_rows(first, last, ids)).subquery()
    step_bucket = sa.case(*[(steps.c.wait < m * 60, i) for i, m in enumerate(WAIT_BUCKETS_MIN)],
                          else_=len(WAIT_BUCKETS_MIN))
    for i, n in db.session.execute(sa.select(step_bucket, sa.func.count()).where(steps.c.wait.is_not(None))
                                   .group_by(step_bucket)):
        counts[i] = counts.get(i, 0) + n
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


