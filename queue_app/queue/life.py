"""A ticket's life in one place: what each kind of event does beyond the ticket's own fields.

Every change of a ticket has the same kinds of consequence: a move of its state, an entry in its log, a move
of the waiting line (people behind move up, or back), screens to recompute after commit (the outbox), a
per-process cache to forget, the hall display's call, and a signal for the features above the queue (notices,
the survey, visit routes). :data:`EFFECTS` declares them once per :class:`EventKind`; :func:`happen` applies
them. A verb (``queue_app.queue.operations``) checks what it must, sets the fields that are its own (``called_at``,
the counter...) and calls :func:`happen`: it cannot forget an effect, and a new kind without its effects fails
``tests/queue/test_life.py``.

What happens inside the transaction stays in it: the line's version and the display's ``seq`` are bumped in
the database, the outbox publishes only after commit, receivers of the signals write rows of their own in the
same session. The waiting counts (:mod:`queue_app.queue.counts`) follow the ticket's status by themselves,
at flush: they are not an effect to declare.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum, auto
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from blinker import NamedSignal

from queue_app.core import clock
from queue_app.core.database import upsert_increment
from queue_app.core.outbox import pending, record, touch
from queue_app.core.site import current_site, iso
from queue_app.queue import events, signals
from queue_app.queue.announce import announcement
from queue_app.queue.estimate import forget_forecast, forget_handling, remember_new
from queue_app.queue.models import EventKind, Ticket, TicketState, ZoneSequence
from queue_app.queue.moves import moved
from queue_app.queue.transitions import log_event, move, write_issued

if TYPE_CHECKING:
    from queue_app.core.models import Counter
    from queue_app.staff.models import User


class Line(StrEnum):
    """How the event changes its service's waiting line."""

    stays = auto()
    #: the ticket left the line: everyone behind it moves up (phones are told, estimates redone)
    leaves = auto()
    #: the ticket joined the line by its queue time (priority, a booking, a transfer): those behind move back;
    #: a walk-in joining at the back moves nobody (:func:`issued`)
    joins = auto()


class View(StrEnum):
    """What screens recompute after commit (:func:`queue_app.core.outbox.touch`)."""

    ticket = auto()  #: the visitor's phone
    counter = auto()  #: the clerk's panel and the dashboard's counter
    service = auto()  #: every waiting ticket of the service (places, estimates), the board, staff lists


class Cache(StrEnum):
    """This process's caches the event makes stale (another process's writes show within their TTL)."""

    forecast = auto()  #: the replayed queue state of :mod:`queue_app.queue.estimate` (1 s)
    handling = auto()  #: a service's recent handling time (30 s)


@dataclass(frozen=True)
class Effects:
    """What an event of one kind does beyond the fields its verb sets."""

    #: the state the ticket moves to (checked against ``transitions.TRANSITIONS``); None: it stays
    to: TicketState | None
    signal: NamedSignal
    line: Line = Line.stays
    views: frozenset[View] = frozenset()
    forget: frozenset[Cache] = frozenset()
    #: the hall display calls the number (``called`` on /display with the zone's next ``seq``)
    announce: bool = False


T, C, S = View.ticket, View.counter, View.service

#: every kind of event in a ticket's life, and what it does
EFFECTS: dict[EventKind, Effects] = {
    EventKind.issued: Effects(None, signals.ticket_issued, Line.joins, frozenset({S})),
    EventKind.called: Effects(TicketState.called, signals.ticket_called, Line.leaves, frozenset({T, C, S}),
                              frozenset({Cache.forecast}), announce=True),
    EventKind.recalled: Effects(None, signals.ticket_called, views=frozenset({T, C}), announce=True),
    EventKind.started: Effects(TicketState.serving, signals.ticket_started, views=frozenset({T, C})),
    EventKind.finished: Effects(TicketState.done, signals.ticket_finished, views=frozenset({T, C, S}),
                                forget=frozenset({Cache.handling})),
    EventKind.no_show: Effects(TicketState.no_show, signals.ticket_missed, views=frozenset({T, C, S}),
                               forget=frozenset({Cache.handling})),
    EventKind.transferred: Effects(TicketState.waiting, signals.ticket_moved, Line.joins, frozenset({T, C, S}),
                                   frozenset({Cache.forecast})),
    EventKind.cancelled: Effects(TicketState.cancelled, signals.ticket_cancelled, Line.leaves, frozenset({T, S}),
                                 frozenset({Cache.forecast})),
    EventKind.reprinted: Effects(None, signals.ticket_reprinted),
    # a ticket joined from afar reached the building: it keeps its place, call-next may now call it (the
    # clerks' lists stop marking it, the estimate replays with it callable)
    EventKind.arrived: Effects(None, signals.ticket_arrived, views=frozenset({T, S}), forget=frozenset({Cache.forecast})),
    # a step of a visit ended and the same ticket waits at the next step's service (queue_app.queue.routes):
    # a move like a transfer, but it joins by the moment it finished; the visit is not finished
    EventKind.routed: Effects(TicketState.waiting, signals.ticket_moved, Line.joins, frozenset({T, C, S}),
                              frozenset({Cache.forecast, Cache.handling})),
}


def happen(ticket: Ticket, kind: EventKind, *, actor: User | None, counter: Counter | None = None,
           at: datetime | None = None, details: dict[str, Any] | None = None,
           from_service: int | None = None, leaves_line: bool = False) -> None:
    """Apply one event of a ticket's life: its state move, its log entry and every effect :data:`EFFECTS`
    declares for ``kind``. The verb has set its own fields already; it flushes afterwards.

    :param from_service: the service the ticket just left for another (a transfer, a visit's next step):
        the log entry is written under it, and its screens are recomputed too.
    :param leaves_line: the ticket leaves its waiting line though ``kind`` usually does not (a ticket joined
        from afar that never came is a no-show straight from the line): those behind move up.
    :raise InvalidTransition: the ticket's state does not allow the move.
    """
    fx = EFFECTS[kind]
    if leaves_line and fx.line is not Line.leaves:
        fx = replace(fx, line=Line.leaves, forget=fx.forget | {Cache.forecast})
    if fx.to is not None:
        move(ticket, fx.to)
    at = at or clock.utcnow()
    log_event(ticket, kind, at, actor=actor, counter=counter, details=details, service_id=from_service)
    if fx.announce:
        assert counter is not None, kind
        _announce(counter, ticket, at, recall=kind is EventKind.recalled)
    _apply(fx, ticket, counter, from_service)
    fx.signal.send(ticket, kind=kind, counter=counter, actor=actor, at=at, details=details or {})


def issued(ticket: Ticket, *, actor: User | None, details: dict[str, Any],
           returning: tuple[tuple[str, sa.ColumnElement], ...] = (), params: dict | None = None) -> None:
    """:func:`happen` for a new ticket: written with its log entry in one statement (``write_issued``), and
    joining its line at the back (a walk-in moves nobody and is added to this process's forecast) or by its
    queue time (priority, a booking)."""
    write_issued(ticket, actor=actor, details=details, returning=returning, params=params)
    fx = EFFECTS[EventKind.issued]
    _apply(fx, ticket, None, None, at_end=not (ticket.priority or ticket.booked_slot_at is not None))
    fx.signal.send(ticket, kind=EventKind.issued, counter=None, actor=actor, at=ticket.issued_at, details=details)


def _apply(fx: Effects, ticket: Ticket, counter: Counter | None, from_service: int | None, *,
           at_end: bool = False) -> None:
    views = fx.views
    if at_end:  # a walk-in at the back: staff counts change, nobody's place does
        touch(queues={ticket.service_id})
        views = views - {View.service}
    if views:
        touch(tickets={ticket.id} if View.ticket in views else None,
              counters={counter.id} if View.counter in views and counter is not None else None,
              services=({ticket.service_id} | ({from_service} if from_service is not None else set()))
              if View.service in views else None)
    if fx.line is Line.leaves:
        moved(ticket, joined=False)
    elif fx.line is Line.joins and not at_end:
        moved(ticket, joined=True)
    if Cache.forecast in fx.forget:
        forget_forecast()
    if at_end:
        remember_new(ticket.service_day, ticket.id, ticket.service_id, ticket.priority)
    elif fx.line is Line.joins and fx is EFFECTS[EventKind.issued]:
        forget_forecast()  # the cached state appends new tickets at the back; this one may belong further ahead
    if Cache.handling in fx.forget:  # the service the ticket was handled at: the one it left, if it moved
        forget_handling(from_service if from_service is not None else ticket.service_id)


def _announce(counter: Counter, ticket: Ticket, now: datetime, *, recall: bool) -> None:
    """Record the display's ``called`` event with the next ``seq`` of the counter's zone."""
    seq = upsert_increment(ZoneSequence.__table__, {"zone": counter.zone}, "seq")
    payload = {
        "seq": seq,
        "zone": counter.zone,
        "number": ticket.number,
        "service": ticket.service.code,
        "counter": {"code": counter.code, "name": counter.name},
        "recall": recall,
        "at": iso(now),
        "announcement": announcement(ticket.number, counter.name, reading=current_site().display.number_reading),
    }
    record(events.called, payload, namespace="/display", to=f"zone:{counter.zone}")


def moves_pending() -> bool:
    """Whether this transaction moved a waiting line (for tests and the publisher)."""
    return bool(pending().moves)
