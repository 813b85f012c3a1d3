"""The ticket's state machine and its append-only event log: every verb moves and logs through here."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from queue_app.core.errors import InvalidTransition
from queue_app.core.extensions import db
from queue_app.core.inserts import insert_now
from queue_app.queue.models import EventKind, Ticket, TicketEvent, TicketState

if TYPE_CHECKING:
    from queue_app.core.models import Counter
    from queue_app.staff.models import User

#: Allowed moves of a ticket; anything else is an InvalidTransition (409)
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    # no_show from waiting: a ticket joined from afar that never came ([services.remote] hold_minutes)
    TicketState.waiting: frozenset({TicketState.called, TicketState.cancelled, TicketState.no_show}),
    TicketState.called: frozenset(
        {TicketState.called, TicketState.serving, TicketState.done, TicketState.no_show, TicketState.waiting}
    ),
    TicketState.serving: frozenset({TicketState.done, TicketState.waiting}),
    TicketState.done: frozenset(),
    TicketState.no_show: frozenset(),
    TicketState.cancelled: frozenset(),
}


def move(ticket: Ticket, to: TicketState) -> None:
    """Change a ticket's status if the state machine allows it.

    :raise InvalidTransition:
    """
    if to not in TRANSITIONS[ticket.status]:
        raise InvalidTransition(f"Ticket {ticket.number} cannot go from {ticket.status} to {to}.",
                                status=ticket.status)
    ticket.status = to


def write_issued(ticket: Ticket, *, actor: User | None, details: dict[str, Any],
                 returning: tuple[tuple[str, sa.ColumnElement], ...] = (), params: dict | None = None) -> None:
    """Write a new ticket and its ``issued`` event now (on PostgreSQL in one statement).

    Not through the flush: for the one write every kiosk press makes, the unit of work's bookkeeping was a
    fifth of the request (issue 15). Every later change of the ticket goes through the ORM as usual. The
    caller has counted it in its line already, with its number (``issue_ticket``).

    :param returning: values the ticket's INSERT reads too, with ``params``
        (:func:`~queue_app.core.inserts.insert_now`).
    """
    event = _event(ticket, EventKind.issued, ticket.issued_at, actor=actor, details=details)
    insert_now(ticket, returning, params, then=event)  # one round trip on PostgreSQL


def log_event(ticket: Ticket, kind: EventKind, at: datetime, *, actor: User | None,
              counter: Counter | None = None, details: dict[str, Any] | None = None,
              service_id: int | None = None) -> None:
    """Append to the ticket's event log, in the transaction of the change it records.

    :param service_id: the queue it happened in, when not the ticket's own now (a transfer: the one it left).
    """
    event = _event(ticket, kind, at, actor=actor, counter=counter, details=details)
    if service_id is not None:
        event.service_id = service_id
    if ticket.id is None:  # a ticket not written yet: both go in one flush
        event.ticket = ticket
    db.session.add(event)


def _event(ticket: Ticket, kind: EventKind, at: datetime, *, actor: User | None,
           counter: Counter | None = None, details: dict[str, Any] | None = None) -> TicketEvent:
    return TicketEvent(
        ticket_id=ticket.id, kind=kind, at=at,
        service_id=ticket.service_id if ticket.service_id is not None else ticket.service.id,
        counter_id=counter.id if counter else None, user_id=actor.id if actor else None,
        details=details or {},
    )
