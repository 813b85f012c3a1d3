"""Idempotency keys: a retried request (a double tap, a lost answer) is answered again, not repeated."""

from __future__ import annotations

from datetime import datetime, timedelta

from queue_app.core import clock
from queue_app.core.extensions import db
from queue_app.queue.errors import IdempotencyConflict
from queue_app.queue.models import IdempotencyKey, Ticket

#: how long a key is remembered; the contract says a repeat "within 10 minutes"
IDEMPOTENCY_WINDOW = timedelta(minutes=10)


def ticket_for_key(scope: str, key: str, *, action: str, now: datetime) -> Ticket | None:
    """The ticket a still-valid key already answered with (a retried issue), or None for a new key."""
    row = db.session.get(IdempotencyKey, (scope, key))
    if row is None:
        return None
    if row.created_at < now - IDEMPOTENCY_WINDOW:
        db.session.delete(row)
        db.session.flush()
        return None
    if row.action != action:
        raise IdempotencyConflict()
    return db.session.get(Ticket, row.ticket_id) if row.ticket_id else None


def remember_key(scope: str, key: str, *, action: str, ticket: Ticket | None) -> None:
    """Store a counter action's key so its retry is answered, not repeated."""
    db.session.add(IdempotencyKey(scope=scope, key=key, created_at=clock.utcnow(),
                                  ticket_id=ticket.id if ticket else None, action=action))


def replay_key(scope: str, key: str, *, action: str) -> tuple[bool, Ticket | None]:
    """Whether this key was already used for ``action``, and the ticket it answered with."""
    row = db.session.get(IdempotencyKey, (scope, key))
    if row is None:
        return False, None
    if row.created_at < clock.utcnow() - IDEMPOTENCY_WINDOW:
        db.session.delete(row)  # an old key may be used again; remember_key will store it afresh
        db.session.flush()
        return False, None
    if row.action != action:
        raise IdempotencyConflict()
    return True, db.session.get(Ticket, row.ticket_id) if row.ticket_id else None
