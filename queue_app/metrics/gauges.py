"""Gauges read from the database when Prometheus scrapes: the same for every process (the database is shared),
so they are right whichever process is asked and need no folder of their own.

- ``mppq_waiting{service}``: tickets waiting now (the kept counts of queue_app/queue/counts.py, today);
- ``mppq_oldest_wait_seconds{service}``: how long the longest-waiting ticket of today has waited;
- ``mppq_target_wait_seconds{service}``: the service's ``target_wait_minutes`` (the alert compares the two);
- whatever other features register with :func:`register`, e.g. the printers' state (queue_app/printing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from queue_app.core import clock
from queue_app.core.extensions import db
from queue_app.core.models import Service
from queue_app.core.site import today
from queue_app.queue.counts import waiting_counts
from queue_app.queue.models import Ticket, TicketState

logger = logging.getLogger(__name__)

#: ``() -> metric families``: other features' gauges, read at scrape time in an app context
Provider = Callable[[], Iterable[GaugeMetricFamily]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """Add a feature's gauges (a function yielding ``GaugeMetricFamily``), read at each scrape."""
    if provider not in _providers:
        _providers.append(provider)


class DatabaseGauges(Collector):
    """What the database knows, at the moment of the scrape (needs an app context)."""

    def collect(self) -> Iterator[Any]:  # noqa: ANN401
        try:
            yield from self._queues()
            for provider in list(_providers):
                yield from provider()
        finally:
            db.session.rollback()

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        day = today()
        services = db.session.execute(sa.select(Service.id, Service.code, Service.target_wait_minutes)
                                      .where(Service.active).order_by(Service.position)).all()
        counts = waiting_counts(day)
        oldest = dict(db.session.execute(
            sa.select(Ticket.service_id, sa.func.min(Ticket.queue_at))
            .where(Ticket.service_day == day, Ticket.status == TicketState.waiting)
            .group_by(Ticket.service_id)).all())
        now = clock.utcnow()
        waiting = GaugeMetricFamily("mppq_waiting", "Tickets waiting now", labels=["service"])
        longest = GaugeMetricFamily("mppq_oldest_wait_seconds", "How long the longest-waiting ticket of today has "
                                    "waited (0: nobody waits)", labels=["service"])
        target = GaugeMetricFamily("mppq_target_wait_seconds", "The service's target wait (target_wait_minutes)",
                                   labels=["service"])
        for service_id, code, minutes in services:
            waiting.add_metric([code], counts.get(service_id, 0))
            since = oldest.get(service_id)
            longest.add_metric([code], max(0.0, (now - since).total_seconds()) if since else 0.0)
            target.add_metric([code], (minutes or 0) * 60)
        yield waiting
        yield longest
        yield target
