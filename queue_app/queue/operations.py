"""The queue's verbs: the only code that changes ticket and counter state (serving the called visitor in serving.py).

Each verb starts a write transaction, checks the state, changes it, writes the ticket event in the
same transaction, records what the hub must publish, and flushes. Committing is the caller's job
(HTTP handler, Socket.IO handler, CLI or test), so a verb can be combined with others atomically.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from queue_app.core import clock
from queue_app.core.database import begin_write, is_postgres
from queue_app.core.errors import InvalidTransition, KioskNotFound, ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.lookups import get_counter, get_service
from queue_app.core.models import Counter, CounterState
from queue_app.core.site import current_site, today
from queue_app.core.transactions import take_turn, upsert_increments
from queue_app.queue import life, remote, routes, serving
from queue_app.queue.errors import (
    CounterBusy,
    CounterPaused,
    IdempotencyConflict,
    QuotaReached,
    TicketNotFound,
)
from queue_app.queue.estimate import ahead_of, forecast_new, new_place
from queue_app.queue.idempotency import ticket_for_key
from queue_app.queue.models import (
    DailyNumber,
    EventKind,
    IdempotencyKey,
    QueueCount,
    Ticket,
    TicketState,
)
from queue_app.queue.moves import will_move
from queue_app.queue.opening import closed_error

# serving the called visitor is in serving.py; every verb of the queue is reached from here
from queue_app.queue.serving import finish, no_show, pause, resume, start_serving, transfer  # noqa: F401
from queue_app.staff.models import User

logger = logging.getLogger(__name__)

# --- lookups ---------------------------------------------------------------------------------


@functools.cache
def _ticket_by_token() -> sa.Select:
    """Built once, with the service and counter that every view of a ticket shows: each phone asks for its
    ticket when it opens the page and whenever it reconnects."""
    return (sa.select(Ticket).where(Ticket.token == sa.bindparam("token"))
            .options(joinedload(Ticket.service), joinedload(Ticket.counter)))


def get_ticket_by_token(token: str) -> Ticket:
    """:raise TicketNotFound:"""
    ticket = db.session.scalar(_ticket_by_token(), {"token": token}) if token else None
    if ticket is None:
        raise TicketNotFound("No ticket with that token.")
    return ticket


# --- issuing ---------------------------------------------------------------------------------


def issue_ticket(
    service_code: str,
    *,
    priority: bool = False,
    kiosk: str | None = None,
    idempotency_key: str | None = None,
    actor: User | None = None,
    booked_slot_at: datetime | None = None,
    phone: str | None = None,
    phone_lang: str | None = None,
    checkin_code: str | None = None,
    admit: Callable[[int | None], None] | None = None,
    queued: Callable[[], None] | None = None,
) -> tuple[Ticket, bool]:
    """Give the next number of the service for today.

    :param phone: the visitor's number for notices (already normalised: queue_app.core.phones), and
        ``phone_lang`` the language of its messages (None: the site's).

    :param idempotency_key: a repeat within 10 minutes returns the first ticket instead of a new one.
    :param booked_slot_at: the slot start of the online booking being checked in. Its queue time is the later
        of now and the slot start; the opening hours and the daily quota are not checked again (the booking's
        check-in window and its place in the slot were checked when it was made and at check-in).
    :param phone: the visitor's number for notices, already normalised (queue_app.core.phones).
    :param checkin_code: joined from afar (queue_app.queue.remote.join): the code typed at the kiosk on arrival.
    :param admit: called once the day's number is taken, with (for a ticket joined from afar) how many of the
        day's tickets were, this one included, counted on the number's row: from then to the commit that row is
        locked (PostgreSQL) and every other ticket of the service's day waits, so the count is exact
        (queue_app.queue.remote checks its quota so); raise to refuse.
    :param queued: called once this request's turn for the day's number is taken (this process's earlier
        tickets of the service are committed), before the number's row: raise to refuse without touching it.
    :return: the ticket and whether it was created now (False for an idempotent repeat).
    :raise ServiceNotFound, ServiceClosed, HolidayClosed, OutsideHours, QuotaReached, KioskNotFound, ValidationFailed:
    """
    begin_write()
    now = clock.utcnow()
    if idempotency_key:
        previous = ticket_for_key("ticket", idempotency_key, action="issue", now=now)
        if previous is not None:
            # the same key for another request is a client bug (or two kiosks' keys colliding):
            # answering with the first ticket would hand a visitor somebody else's ticket
            if (previous.issued_service.code, previous.priority, previous.kiosk) != (service_code, priority, kiosk):
                raise IdempotencyConflict("This Idempotency-Key was already used for a different ticket request.")
            return previous, False

    service = get_service(service_code)
    if kiosk is not None:
        kiosk_conf = current_site().kiosk(kiosk)
        if kiosk_conf is None:
            raise KioskNotFound(f'No kiosk with code "{kiosk}".')
        # a booking checks in at whichever kiosk the visitor finds; the kiosk's list is for walk-ins
        if kiosk_conf.services and service.code not in kiosk_conf.services and booked_slot_at is None:
            raise ValidationFailed(f"Kiosk {kiosk} does not offer service {service.code}.", field="service")
    closed = closed_error(service, now=now)
    if closed is not None and not (booked_slot_at is not None and closed.code == "outside_hours"):
        raise closed

    # read the estimate's inputs before taking the day's number: on PostgreSQL that row stays locked
    # until commit, so everything done after it delays the next kiosk
    day = clock.local_day(current_site().tz, now)
    eta_for = forecast_new(day, service.id, priority=priority)
    take_turn(("day number", service.id))  # this process's kiosks of the service, in the order they came
    if queued is not None:
        queued()
    if priority or booked_slot_at is not None:
        will_move(service.id, day)  # it moves others back: the line's version row before its count, as a call
    # the number and the ticket's count in its line (queue_app.queue.counts) in one round trip: from here to
    # the commit both rows stay locked on PostgreSQL, so each round trip after this delays the next kiosk
    # (and, for a ticket joined from afar, the day's count of those, on the number's row: its quota's count)
    line = {"service_id": service.id, "service_day": day}
    numbers = ("last_number", "remote") if checkin_code is not None else "last_number"
    seq, *joined, waiting = upsert_increments((DailyNumber.__table__, line, numbers),
                                              (QueueCount.__table__, line, "waiting"))
    if admit is not None:
        admit(joined[0] if joined else None)
    if service.daily_quota and seq > service.daily_quota and booked_slot_at is None:
        raise QuotaReached(f"Today's quota of {service.daily_quota} tickets for {service.name} is reached.",
                           service=service.code)

    ticket = Ticket(
        token=secrets.token_urlsafe(24),
        number=format_number(service.prefix, seq),
        seq=seq,
        service_day=day,
        issued_service=service,
        service=service,
        status=TicketState.waiting,
        priority=priority,
        issued_at=now,
        queue_at=max(now, booked_slot_at) if booked_slot_at is not None else now,
        booked_slot_at=booked_slot_at,
        kiosk=kiosk,
        recalls=0,
        route=routes.planned_route(service.code),  # a visit that goes on at other services (``then``)
        phone=phone,
        phone_lang=phone_lang if phone else None,
        checkin_code=checkin_code,
    )
    details = {"priority": priority, "kiosk": kiosk}
    if checkin_code is not None:
        details["remote"] = True
    if booked_slot_at is not None:
        details["booking"] = True
    if priority:  # only the priority tickets before it: a short count
        ticket.ahead_at_issue = ahead_of(ticket)
        ticket.estimated_wait_seconds = eta_for(ticket.ahead_at_issue)
        life.issued(ticket, actor=actor, details=details)
    else:  # its place read by its INSERT, with no round trip of its own
        likely, place_sql, place_params = new_place(ticket, waiting)
        ticket.estimated_wait_seconds = eta_for(likely)
        life.issued(ticket, actor=actor, details=details, returning=place_sql, params=place_params)
        if ticket.ahead_at_issue != likely:  # a booking checked in before its slot waits behind it
            ticket.estimated_wait_seconds = eta_for(ticket.ahead_at_issue)
    if idempotency_key:
        db.session.add(IdempotencyKey(scope="ticket", key=idempotency_key, created_at=now, ticket_id=ticket.id,
                                      action="issue"))
    db.session.flush()
    logger.info("Ticket %s issued for %s (kiosk %s)", ticket.number, service.code, kiosk)
    return ticket, True


def format_number(prefix: str, seq: int) -> str:
    """``A-007``: three digits, more once a day passes 999."""
    return f"{prefix}-{seq:03d}"


# --- calling ---------------------------------------------------------------------------------


def call_next(counter_code: str, *, actor: User | None, finish_current: bool = False) -> Ticket | None:
    """Call the next waiting ticket to the counter.

    Order: priority tickets of any of the counter's services (oldest first), then the counter's
    services in their listed order, smallest queue time first (``Ticket.queue_at``: the issue time of a
    walk-in, the later of check-in and slot start of a booking).

    :param finish_current: finish the counter's open ticket first, in the same transaction.
    :return: the called ticket, or None when nobody waits for this counter's services.
    :raise CounterBusy: the counter still has an open ticket and ``finish_current`` is false.
    :raise CounterPaused:
    """
    begin_write()
    counter = get_counter(counter_code, lock=True)
    _check_open(counter)
    if counter.current_ticket is not None:
        if not finish_current:
            raise CounterBusy(f"{counter.name} still has {counter.current_ticket.number} open.",
                              current=counter.current_ticket.number)
        serving.end_current(counter, actor=actor)

    with db.session.no_autoflush:  # the finish cannot change who waits: it goes in the call's flush
        ticket = _next_waiting(counter)
    if ticket is None:
        db.session.flush()
        return None
    _call(counter, ticket, actor=actor)
    return ticket


def _next_waiting(counter: Counter) -> Ticket | None:
    """The ticket :func:`call_next` takes, in the order its docstring gives.

    One query per step (the priority tickets of all the counter's services, then each of its positions in
    turn), each reading the first entry of an index range (``ix_tickets_queue_at``): a single ORDER BY over
    ``CASE priority ... position`` made the database sort every waiting ticket on every call.
    """
    groups: dict[int, list[int]] = {}
    for link in counter.service_links:
        groups.setdefault(link.position, []).append(link.service_id)
    every = [sid for group in groups.values() for sid in group]
    steps = [(True, every)] + [(False, groups[p]) for p in sorted(groups)]
    day = today()
    # tickets joined from afar and not arrived are passed over (queue_app.queue.remote); only counters with
    # such a service pay for it
    away = remote.remote_ids(every)
    if away:
        remote.lapse_holds(away)
    passed: list[int] = []
    for priority, service_ids in steps if groups else ():
        ticket = db.session.scalar(_waiting_step(priority, is_postgres()), {"day": day, "sids": service_ids})
        if ticket is not None:
            if away and not priority:
                remote.pass_over([s for s in service_ids if s in away], before=ticket, after_steps=passed)
            return ticket
        if not priority:
            passed += [s for s in service_ids if s in away]
    if passed:
        remote.pass_over([], before=None, after_steps=passed)
    return None


@functools.cache
def _waiting_step(priority: bool, postgres: bool) -> sa.Select:
    """The first waiting ticket of some services (priority or not), built once: every call runs two or more.

    Its service comes joined: the call announces it, and the one the finish loaded may be gone by then (the
    session forgets an object nothing refers to once its changes are flushed).
    """
    stmt = (
        sa.select(Ticket)
        .where(Ticket.status == TicketState.waiting, Ticket.service_day == sa.bindparam("day"),
               Ticket.priority == (sa.true() if priority else sa.false()),
               Ticket.service_id.in_(sa.bindparam("sids", expanding=True)),
               remote.callable_clause())
        .order_by(Ticket.queue_at, Ticket.id)
        .limit(1)
        .options(joinedload(Ticket.service))
    )
    if postgres:
        # Two clerks calling at once each get a different row instead of waiting for each other.
        stmt = stmt.with_for_update(of=Ticket, skip_locked=True)
    return stmt


def call_number(counter_code: str, number: str, *, actor: User | None) -> Ticket:
    """Call a given waiting ticket out of order (e.g. a visitor who stepped out came back).

    :raise TicketNotFound: no such ticket waiting today for this counter's services.
    :raise CounterBusy, CounterPaused:
    """
    begin_write()
    counter = get_counter(counter_code, lock=True)
    _check_open(counter)
    if counter.current_ticket is not None:
        raise CounterBusy(f"{counter.name} still has {counter.current_ticket.number} open.",
                          current=counter.current_ticket.number)
    service_ids = [link.service_id for link in counter.service_links]
    stmt = sa.select(Ticket).where(
        Ticket.number == number.strip().upper(),
        Ticket.service_day == today(),
        Ticket.service_id.in_(service_ids),
    )
    if is_postgres():
        stmt = stmt.with_for_update(of=Ticket)
    ticket = db.session.scalar(stmt)
    if ticket is None:
        raise TicketNotFound(f"No ticket {number} today for {counter.name}'s services.")
    if ticket.status is not TicketState.waiting:
        raise InvalidTransition(f"Ticket {ticket.number} is {ticket.status}, not waiting.", status=ticket.status)
    if ticket.away:  # joined from afar, called by its number: the visitor is at the desk (docs/remote.md)
        ticket.arrived_at = clock.utcnow()
    _call(counter, ticket, actor=actor)
    return ticket


def recall(counter_code: str, *, actor: User | None) -> Ticket:
    """Announce the counter's current ticket again; ``called_at`` stays the first call."""
    begin_write()
    counter = get_counter(counter_code, lock=True)
    ticket = serving.current(counter)
    if ticket.status is not TicketState.called:
        raise InvalidTransition(f"{ticket.number} is already being served.", status=ticket.status)
    now = clock.utcnow()
    ticket.recalls += 1
    ticket.last_called_at = now
    life.happen(ticket, EventKind.recalled, actor=actor, counter=counter, at=now, details={"recalls": ticket.recalls})
    db.session.flush()
    return ticket


def _call(counter: Counter, ticket: Ticket, *, actor: User | None) -> None:
    now = clock.utcnow()
    if ticket.called_at is None:
        ticket.called_at = now
    ticket.last_called_at = now
    ticket.counter_id = counter.id
    ticket.counter = counter
    ticket.user_id = actor.id if actor else None
    counter.current_ticket = ticket
    life.happen(ticket, EventKind.called, actor=actor, counter=counter, at=now)
    db.session.flush()
    logger.info("Ticket %s called to %s by %s", ticket.number, counter.code, actor)


def _check_open(counter: Counter) -> None:
    if counter.state is CounterState.paused:
        raise CounterPaused(f"{counter.name} is paused; resume it first.")
