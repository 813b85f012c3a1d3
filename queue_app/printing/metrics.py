"""What printing tells the metrics (queue_app/metrics): each job's outcome, and each printer's last state.

``mppq_print_jobs_total{status}`` counts a job when it is made (``queued``) and when it reaches ``printed`` or
``failed``, once its transaction commits: any code that changes a job's ``state`` through the ORM is counted,
without a call of its own. ``mppq_printer_up{printer}`` (1: ok or paper low; 0: offline, paper out, unknown)
and ``mppq_printer_state{printer,state}`` are read from ``printer_status`` at scrape time, for the alert
"printer offline".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.orm import object_session
from sqlalchemy.orm.base import NO_VALUE

from queue_app.core import hooks
from queue_app.core.extensions import db
from queue_app.core.site import current_site
from queue_app.metrics import count_print_job, register_gauges

from .models import PrinterStatus, PrintJob

#: printer states that still print
UP_STATES = ("ok", "paper_low")


def _made(_mapper: Any, _conn: Any, job: PrintJob) -> None:  # noqa: ANN401
    count_print_job(str(job.state.value if hasattr(job.state, "value") else job.state), session=object_session(job))


def _moved(job: PrintJob, value: Any, old: Any, _initiator: Any) -> None:  # noqa: ANN401
    session = object_session(job)
    if session is None or old is NO_VALUE or value == old or not sa.inspect(job).persistent:
        return
    count_print_job(str(value.value if hasattr(value, "value") else value), session=session)


def printer_gauges() -> Iterator[GaugeMetricFamily]:
    """Each configured printer's last known state."""
    states = dict(db.session.execute(sa.select(PrinterStatus.code, PrinterStatus.state)).all())
    up = GaugeMetricFamily("mppq_printer_up", "1 when the printer's last check found it printing (ok, paper low)",
                           labels=["printer"])
    state = GaugeMetricFamily("mppq_printer_state", "The printer's last known state (1 for the current one)",
                              labels=["printer", "state"])
    for conf in current_site().printers:
        current = states.get(conf.code, "unknown")
        up.add_metric([conf.code], 1.0 if current in UP_STATES else 0.0)
        state.add_metric([conf.code, current], 1.0)
    yield up
    yield state


def connect() -> None:
    """Once per process."""
    if not sa.event.contains(PrintJob, "before_insert", _made):
        hooks.listens_for(PrintJob, "before_insert", why="counts each print job as it is made "
                          "(mppq_print_jobs_total), after commit")(_made)
        hooks.listens_for(PrintJob.state, "set", active_history=True,
                          why="counts each print job's move to a new state (printed, failed...)")(_moved)
    register_gauges(printer_gauges)
