"""Serving the called visitor: start, finish (or go on along a visit's route), no-show, transfer, and the counter's
pause. Reached as ``queue_app.queue.operations.<verb>`` like every verb of the queue (see that module)."""

from __future__ import annotations

import logging

from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.errors import InvalidTransition, ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.lookups import get_counter, get_service
from queue_app.core.models import Counter, CounterState
from queue_app.core.outbox import touch
from queue_app.queue import life, routes
from queue_app.queue.estimate import forget_forecast
from queue_app.queue.models import EventKind, Ticket
from queue_app.staff.models import User

logger = logging.getLogger(__name__)

def start_serving(counter_code: str, *, actor: User | None) -> Ticket:
    """The visitor arrived at the counter."""
    begin_write()
    counter = get_counter(counter_code, lock=True)
    ticket = current(counter)
    now = clock.utcnow()
    ticket.started_at = now
    life.happen(ticket, EventKind.started, actor=actor, counter=counter, at=now)
    db.session.flush()
    return ticket


def finish(counter_code: str, *, actor: User | None, end_visit: bool = False, to: str | None = None) -> Ticket:
    """Mark the current ticket done; straight from ``called``, its ``started_at`` is its ``called_at``.

    A step of a visit with a route that is not its last goes on to the next step instead (waiting there,
    :func:`queue_app.queue.routes.move_on`); only the last step finishes the visit.

    :param end_visit: finish the whole visit here, whatever steps its route has left.
    :param to: go on to this step of the route instead of the next one (the steps between are skipped).
    :return: the ticket (``waiting`` at its next step, or ``done``).
    :raise ValidationFailed: ``to`` is not a step ahead in the ticket's route, or comes with ``end_visit``.
    """
    begin_write()
    counter = get_counter(counter_code, lock=True)
    ticket = end_current(counter, actor=actor, end_visit=end_visit, to=to)
    db.session.flush()
    return ticket


def end_current(counter: Counter, *, actor: User | None, end_visit: bool = False, to: str | None = None) -> Ticket:
    """:func:`finish` on a counter already locked (call-next with ``finish_current`` too)."""
    ticket = current(counter)
    if end_visit and to is not None:
        raise ValidationFailed("Give either end_visit or next, not both.", field="next")
    nxt = None if end_visit else routes.next_step(ticket, to) if ticket.route or to is not None else None
    now = clock.utcnow()
    if ticket.started_at is None:  # finished straight from called: the contract says started = called
        # (at a later step of a route, the call at that step: called_at stays the visit's first call)
        ticket.started_at = routes.step_called_at(ticket) if ticket.route_step else ticket.called_at
    ticket.finished_at = now
    counter.current_ticket = None
    if nxt is not None:
        routes.move_on(ticket, counter, nxt, actor=actor, at=now)
        return ticket
    details = routes.end_route(ticket, end_visit=end_visit)
    life.happen(ticket, EventKind.finished, actor=actor, counter=counter, at=now, details=details or None)
    return ticket


def no_show(counter_code: str, *, actor: User | None) -> None:
    """The called visitor did not come."""
    begin_write()
    counter = get_counter(counter_code, lock=True)
    ticket = current(counter)
    now = clock.utcnow()
    ticket.finished_at = now
    counter.current_ticket = None
    life.happen(ticket, EventKind.no_show, actor=actor, counter=counter, at=now, details={"recalls": ticket.recalls})
    db.session.flush()


def transfer(counter_code: str, service_code: str, *, actor: User | None) -> Ticket:
    """Send the current ticket to another service's queue; it keeps its number and issue time."""
    begin_write()
    counter = get_counter(counter_code, lock=True)
    ticket = current(counter)
    target = get_service(service_code)
    if target.id == ticket.service_id:
        raise ValidationFailed(f"{ticket.number} is already in {target.name}.", field="service")
    source_id = ticket.service_id
    details = {"from": ticket.service.code, "to": target.code}
    ticket.service_id = target.id
    ticket.service = target
    ticket.started_at = None
    counter.current_ticket = None
    # it joins by its queue time, which it keeps: usually near the front of the new line
    life.happen(ticket, EventKind.transferred, actor=actor, counter=counter, details=details, from_service=source_id)
    db.session.flush()
    return ticket


def pause(counter_code: str, *, actor: User | None) -> Counter:
    """Stop calling at this counter (break, prayer time); its current ticket stays."""
    return _set_counter_state(counter_code, CounterState.paused, actor=actor)


def resume(counter_code: str, *, actor: User | None) -> Counter:
    """Take calls again."""
    return _set_counter_state(counter_code, CounterState.open, actor=actor)


def _set_counter_state(counter_code: str, state: CounterState, *, actor: User | None) -> Counter:
    begin_write()
    counter = get_counter(counter_code, lock=True)
    if counter.state is state:
        raise InvalidTransition(f"{counter.name} is already {state}.", state=state)
    counter.state = state
    counter.state_since = clock.utcnow()
    touch(counters={counter.id}, services={link.service_id for link in counter.service_links})
    forget_forecast()
    db.session.flush()
    logger.info("Counter %s %s by %s", counter.code, state, actor)
    return counter


def current(counter: Counter) -> Ticket:
    """The counter's current ticket. :raise InvalidTransition: it has none."""
    if counter.current_ticket is None:
        raise InvalidTransition(f"{counter.name} has no current ticket.")
    return counter.current_ticket
