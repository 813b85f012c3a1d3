"""The day's end for tickets: those still waiting from an earlier day are cancelled, never called next morning."""

from __future__ import annotations

import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.database import begin_write, is_postgres
from queue_app.core.extensions import db
from queue_app.core.site import today
from queue_app.queue import life
from queue_app.queue.models import EventKind, Ticket, TicketState
from queue_app.staff.models import User


def close_stale_tickets(*, actor: User | None = None) -> int:
    """Cancel tickets still waiting from an earlier day; they must never be called the next morning.

    Called at start, by the server's housekeeping loop and lazily; ``call_next`` already ignores
    them, so this only makes their end explicit in the log and the statistics.
    :return: how many were cancelled.
    """
    begin_write()
    stmt = sa.select(Ticket).where(Ticket.status == TicketState.waiting, Ticket.service_day < today())
    if is_postgres():  # several processes sweep at once: each ticket is closed (and logged) by one
        stmt = stmt.with_for_update(skip_locked=True)
    stale = db.session.scalars(stmt).all()
    now = clock.utcnow()
    for ticket in stale:
        ticket.finished_at = now
        life.happen(ticket, EventKind.cancelled, actor=actor, at=now, details={"reason": "day_ended"})
    db.session.flush()
    return len(stale)
