"""Visit figures: how long a whole visit took, from its ticket's issue to its last finish, in total and per route.

A visit is a ticket that ended ``done``: one of a single service, or one that walked a route of several
(config.toml ``then``, docs/visits.md), counted once however many steps it had. Its time is
``finished_at - issued_at`` (the last step's finish). The range is a set of local days (``service_day``), as
for the other figures; the 90th percentile is the nearest-rank one over times rounded to the second, like the
waits' (:mod:`queue_app.stats.figures`). Per route: the visits grouped by the route they walked (a visit
ended early by its clerk counts under the steps it went through), single-service visits left out.

A manager scoped to an agency sees the visits that started, ended or passed through one of its services.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.queue.models import Ticket, TicketState
from queue_app.queue.routes import SEP

from .sql import _dialect, _round, _services, seconds


class _Times:
    """The visit times of one group, as counts per whole second (for the percentile) and an exact sum."""

    def __init__(self) -> None:
        self.n = 0
        self.total = 0.0
        self.per_second: dict[int, int] = defaultdict(int)

    def add(self, second: int, n: int, total: float) -> None:
        self.n += n
        self.total += total
        self.per_second[second] += n

    def figures(self) -> dict[str, Any]:
        return {"done": self.n, "avg_visit_seconds": _round(self.total / self.n) if self.n else None,
                "p90_visit_seconds": self._p90()}

    def _p90(self) -> int | None:
        """Nearest rank: the smallest time that at least 90 % of the visits did not exceed."""
        reached = 0
        for second in sorted(self.per_second):
            reached += self.per_second[second]
            if reached * 10 >= self.n * 9:
                return second
        return None


def visit_figures(first: date, last: date, *, agency_id: int | None = None) -> dict[str, Any]:
    """``visits`` of ``GET /api/stats/summary``: ``{"done", "avg_visit_seconds", "p90_visit_seconds",
    "routes": [{"route": [codes], "done", "avg_visit_seconds", "p90_visit_seconds"}]}``, routes by visits
    done (most first)."""
    # each visit's time computed once (SQLite parses the timestamps again for every use of the expression;
    # LIMIT -1 keeps it from flattening the subquery)
    done = (sa.select(Ticket.route, seconds(Ticket.issued_at, Ticket.finished_at).label("secs"))
            .where(Ticket.service_day.between(first, last), Ticket.status == TicketState.done,
                   Ticket.finished_at.is_not(None)))
    if agency_id is not None:
        done = done.where(_touches(_services(agency_id)))
    if _dialect() == "sqlite":
        done = done.limit(-1)
    v = done.subquery("v")
    whole = sa.cast(sa.func.floor(v.c.secs + 0.5), sa.Integer) if _dialect() == "postgresql" \
        else sa.cast(v.c.secs + 0.5, sa.Integer)  # SQLite's CAST truncates toward zero; times are >= 0
    query = sa.select(v.c.route, whole, sa.func.count(), sa.func.sum(v.c.secs)).group_by(v.c.route, whole)
    overall = _Times()
    per_route: dict[str, _Times] = defaultdict(_Times)
    for route, second, n, total in db.session.execute(query):
        overall.add(int(second), int(n), float(total or 0))
        if route:
            per_route[route].add(int(second), int(n), float(total or 0))
    routes = [{"route": route.split(SEP), **times.figures()} for route, times in
              sorted(per_route.items(), key=lambda item: (-item[1].n, item[0]))]
    return {**overall.figures(), "routes": routes}


def _touches(services: list) -> sa.ColumnElement[bool]:  # noqa: ANN001
    """A visit started, ended or passed through one of ``services``."""
    ids = [s.id for s in services]
    padded = sa.literal(SEP) + sa.func.coalesce(Ticket.route, "") + sa.literal(SEP)
    return sa.or_(Ticket.issued_service_id.in_(ids), Ticket.service_id.in_(ids),
                  *(padded.contains(f"{SEP}{s.code}{SEP}", autoescape=True) for s in services))
