"""Tickets and calls are counted by listening to the ticket's signals (queue_app/queue/signals.py), inside the
change's transaction: a count is noted on the session and made once it commits, so a rolled-back issue or call
is never counted, and a batch of kiosk presses issued in one transaction counts each of its tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_app.core.extensions import db
from queue_app.core.models import Counter
from queue_app.queue import signals
from queue_app.queue.models import EventKind, Ticket

from . import series


def _service_code(ticket: Ticket) -> str:
    with db.session.no_autoflush:  # the ticket's own row need not be written to read its service's code
        return ticket.service.code


def on_issued(ticket: Ticket, **_: Any) -> None:  # noqa: ANN401
    series.note(db.session(), series.tickets_issued, (_service_code(ticket),))


def on_called(ticket: Ticket, *, kind: EventKind, counter: Counter | None = None, at: datetime | None = None,
              **_: Any) -> None:  # noqa: ANN401
    session = db.session()
    series.note(session, series.calls, (counter.code if counter is not None else "",))
    # the contract's wait: first call less issue; a recall, or a call at the next step of a visit, is no new wait
    if kind is EventKind.called and at is not None and ticket.called_at == at and ticket.issued_at is not None:
        series.observe_later(session, series.wait_seconds, (_service_code(ticket),),
                             max(0.0, (at - ticket.issued_at).total_seconds()))


def connect() -> None:
    """Listen to the ticket signals and apply the noted counts after commit (once per process)."""
    signals.ticket_issued.connect(on_issued, weak=False)
    signals.ticket_called.connect(on_called, weak=False)
