"""The Prometheus series of mpp-queue, defined once (the contract's "Metrics" names them).

Counters and histograms live in this process and, on a serving process, in the site's multiprocess folder
(:mod:`queue_app.metrics.processes`), so a scrape of any process reports the whole site. What the database
knows better than any process (who waits, the oldest wait, the printers) is read at scrape time instead
(:mod:`queue_app.metrics.gauges`).

A feature that counts something of its own calls a function of this module rather than touching a series:
``count_notify_message(kind, status)`` (the WhatsApp/SMS notices), ``count_print_job(status)``. Given a
``session`` they count once that session's transaction commits (a rollback counts nothing).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.orm import Session

from queue_app.core import hooks

#: seconds from ticket to first call: up to three hours, finer around the usual targets (10-30 minutes)
WAIT_BUCKETS = (60, 180, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800)
#: seconds of an HTTP request
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

tickets_issued = Counter("mppq_tickets_issued", "Tickets issued (kiosk, desk, booking check-in, joined from afar)",
                         ["service"], registry=None)
calls = Counter("mppq_calls", "Calls of a ticket to a counter, recalls included", ["counter"], registry=None)
wait_seconds = Histogram("mppq_wait_seconds", "Wait from issue to first call of each called ticket, seconds",
                         ["service"], buckets=WAIT_BUCKETS, registry=None)
print_jobs = Counter("mppq_print_jobs", "Print jobs reaching a status (queued when made, then printed or failed)",
                     ["status"], registry=None)
notify_messages = Counter("mppq_notify_messages", "WhatsApp/SMS notices reaching a status", ["kind", "status"],
                          registry=None)
#: each process's own connected sockets; a scrape sums the live processes'
sockets = Gauge("mppq_sockets", "Connected Socket.IO clients per namespace", ["namespace"],
                multiprocess_mode="livesum", registry=None)
http_duration = Histogram("mppq_http_request_duration_seconds", "HTTP requests by route (the URL rule), method "
                          "and status", ["route", "method", "status"], buckets=HTTP_BUCKETS, registry=None)

ALL = (tickets_issued, calls, wait_seconds, print_jobs, notify_messages, sockets, http_duration)

_KEY = "mppq_metrics_pending"


def _later(session: Session | None, series: Any, labels: tuple[str, ...], amount: float = 1.0) -> None:  # noqa: ANN401
    """Count now, or (given a session) once its transaction commits."""
    if session is None:
        series.labels(*labels).inc(amount)
    else:
        session.info.setdefault(_KEY, []).append((series, labels, amount))


def count_notify_message(kind: str, status: str, *, session: Session | None = None) -> None:
    """One notice (``issued``, ``called``...) reached ``status`` (``sent``, ``delivered``, ``read``, ``failed``).

    For queue_app.notify: call it where a message's status changes (with the session of that change, so a
    rolled-back change is not counted), or after the provider answered (no session).
    """
    _later(session, notify_messages, (str(kind), str(status)))


def count_print_job(status: str, *, session: Session | None = None) -> None:
    """One print job reached ``status`` (``queued``, ``printed``, ``failed``)."""
    _later(session, print_jobs, (str(status),))


def note(session: Session, series: Any, labels: tuple[str, ...], amount: float = 1.0) -> None:  # noqa: ANN401
    """Count in ``series`` once ``session``'s transaction commits (the ticket receivers use it)."""
    _later(session, series, labels, amount)


def observe_later(session: Session, series: Histogram, labels: tuple[str, ...], value: float) -> None:
    session.info.setdefault(_KEY, []).append((series, labels, ("observe", value)))


@hooks.listens_for(Session, "after_commit",
                   why="counts the metrics a committed transaction noted (a ticket issued, a call), never a rolled-back one")
def apply_pending(session: Session) -> None:
    """After commit: count what the transaction noted."""
    for series, labels, amount in session.info.pop(_KEY, ()):
        child = series.labels(*labels)
        if isinstance(amount, tuple):
            child.observe(amount[1])
        else:
            child.inc(amount)


@hooks.listens_for(Session, "after_rollback", why="drops the metrics a rolled-back transaction noted")
def drop_pending(session: Session) -> None:
    session.info.pop(_KEY, None)
