"""The booking's verbs: the slots of a day, book, cancel, check in (a ticket), expire the unused.

Like the queue's verbs, each one starts a write transaction, checks, changes, logs the event and
flushes; the caller commits. Places are counted in ``booking_slots`` rows taken with a conditional
UPDATE, so a slot never holds more than ``per_slot`` bookings however many requests race for it.
"""

from __future__ import annotations

import logging
import math
import secrets
import time as time_mod
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from queue_app.booking import limits, places, signals
from queue_app.booking.errors import (
    BookingClosed,
    BookingNotFound,
    BookingNotOffered,
    DateNotBookable,
    NotToday,
    SlotFull,
    SlotNotFound,
    TooEarly,
    TooLate,
)
from queue_app.booking.models import Booking, BookingEvent, BookingEventKind, BookingSlot, BookingState
from queue_app.core import clock, hooks
from queue_app.core.calendar import holiday_name, open_ranges
from queue_app.core.codes import new_code, normalise_code, random_code
from queue_app.core.database import begin_write, is_postgres
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.inserts import insert_now
from queue_app.core.lookups import get_service
from queue_app.core.models import Service
from queue_app.core.phones import normalise_phone
from queue_app.core.site import current_site, iso, today
from queue_app.core.siteconfig.calendar import BookingConf
from queue_app.core.transactions import take_turn
from queue_app.queue.models import Ticket
from queue_app.queue.operations import issue_ticket
from queue_app.staff.models import User

logger = logging.getLogger(__name__)

#: A-Z and 2-9 without I and O (read as 1 and 0): 32 symbols, 8 of them = 40 bits; guessing is rate-limited
#: ``booking_slots.start`` of the row that counts a whole day's bookings (the walk-in share's cap)
DAY_ROW = "day"


# --- the day's slots ---------------------------------------------------------------------------


def booking_conf(service: Service) -> BookingConf:
    """:raise BookingNotOffered:"""
    conf = current_site().service(service.code)
    if conf is None or conf.booking is None:
        raise BookingNotOffered(f"{service.name} takes no online bookings.", service=service.code)
    return conf.booking


def slot_times(service_code: str, day: date, conf: BookingConf) -> list[tuple[datetime, datetime]]:
    """The day's slots as aware local instants: each window is cut from its opening time; a last piece
    shorter than a slot is left out (it would end after closing)."""
    tz = current_site().tz
    length = timedelta(minutes=conf.slot_minutes)
    out = []
    for window in open_ranges(service_code, day):
        start = datetime.combine(day, window.start, tz)
        # a window open "until midnight" ends at the next day's 00:00, so its last slot is bookable too
        end = (datetime.combine(day + timedelta(days=1), time.min, tz) if window.end == time.max
               else datetime.combine(day, window.end, tz))
        while start + length <= end:
            out.append((start, start + length))
            start += length
    return out


def parse_day(value: date | str) -> date:
    """:raise DateNotBookable: not a date like 2026-12-01."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if len(value) == 10 else date.fromisoformat("-")
    except ValueError:
        raise DateNotBookable(f'"{value}" is not a date like 2026-12-01.', date=value) from None


def _check_day(service: Service, day: date, conf: BookingConf) -> list[tuple[datetime, datetime]]:
    """The day's slots; :raise DateNotBookable: past, too far ahead, a holiday or closed all day."""
    first, last = today(), today() + timedelta(days=conf.days_ahead - 1)
    if day < first:
        raise DateNotBookable(f"{day.isoformat()} is in the past.", date=day.isoformat())
    if day > last:
        raise DateNotBookable(f"Bookings are open up to {last.isoformat()}.", date=day.isoformat(),
                              last=last.isoformat())
    name = holiday_name(day)
    if name is not None:
        raise DateNotBookable(f"{day.isoformat()} is a holiday ({name}).", date=day.isoformat(), holiday=name)
    times = slot_times(service.code, day, conf)
    if not times:
        raise DateNotBookable(f"{service.name} is closed on {day.isoformat()}.", date=day.isoformat())
    return times


def _hhmm(at: datetime) -> str:
    return at.strftime("%H:%M")


def _day_cap(service: Service, conf: BookingConf) -> int | None:
    """The most bookings one day may hold, when a share of the daily quota is kept for walk-ins."""
    if not service.daily_quota or not conf.walk_in_share:
        return None
    return math.floor(service.daily_quota * (1 - conf.walk_in_share))


def slots(service_code: str, day: date | str) -> list[dict[str, Any]]:
    """``[{"start", "end", "capacity", "available"}]`` of a day; slots that already ended are left out.

    :raise ServiceNotFound, BookingNotOffered, DateNotBookable:
    """
    service = get_service(service_code)
    conf = booking_conf(service)
    day = parse_day(day)
    times = _check_day(service, day, conf)
    taken = dict(db.session.execute(
        sa.select(BookingSlot.start, BookingSlot.taken)
        .where(BookingSlot.service_id == service.id, BookingSlot.day == day)
    ).all())
    cap = _day_cap(service, conf)
    day_left = None if cap is None else max(0, cap - taken.get(DAY_ROW, 0))
    now = clock.utcnow()
    out = []
    for start, end in times:
        if end <= now:
            continue
        available = max(0, conf.per_slot - taken.get(_hhmm(start), 0))
        if day_left is not None:
            available = min(available, day_left)
        out.append({"start": _hhmm(start), "end": _hhmm(end), "capacity": conf.per_slot, "available": available})
    return out


#: bookings of one service of this process that may wait on its slot's row at once: each sends its place and COMMIT
#: in one message, so those already waiting go on without the process waking them (measured: docs/booking.md)
PLACES_WIDTH = 8

SEEN_FULL = hooks.declare_cache(
    "booking-slots-seen-full", where=__name__,
    holds="(service id, day, start) -> when this process last found the slot full (monotonic) and that answer",
    forgotten="never read by a request that began waiting for its turn after the finding (only those that waited "
              "while the slot filled get it); a day's entries go once the day is past")


# --- booking -----------------------------------------------------------------------------------


def _new_code() -> str:
    return new_code(lambda code: db.session.scalar(sa.select(Booking.id).where(Booking.code == code)) is not None)


def book(service_code: str, day: date | str, start: str, *, name: str | None = None, phone: str | None = None,
         lang: str | None = None, actor: User | None = None, address: str | None = None,
         commit: bool = False) -> Booking:
    """Take a place in a slot.

    :param commit: (PostgreSQL) commit the booking with its place, in one round trip, so the slot's row is
        held as briefly as can be; the caller's commit then sends nothing more. For a caller that commits
        right after; on SQLite the caller's commit does it.

    :param lang: the language of the notices to ``phone`` (None: the site's).
    :param address: the requester's address: only its keyed hashes are stored, to count the shares of the
        day one address, one network may hold (:mod:`queue_app.booking.limits`).
    :raise ServiceNotFound, BookingNotOffered, DateNotBookable, SlotNotFound, SlotFull, ValidationFailed:
    :raise RateLimited: the address's, network's, phone range's or phone's share of the day is taken.
    """
    begin_write()
    service = get_service(service_code)
    conf = booking_conf(service)
    day = parse_day(day)
    times = _check_day(service, day, conf)
    match = next(((s, e) for s, e in times if _hhmm(s) == start), None)
    if match is None:
        raise SlotNotFound(f"No slot starting at {start} on {day.isoformat()}.", field="start")
    now = clock.utcnow()
    if match[1] <= now:
        raise SlotNotFound(f"The slot at {start} has already ended.", field="start")
    name = (name or "").strip() or None
    if conf.ask_name and not name:
        raise ValidationFailed('Missing field "name".', field="name")
    phone = normalise_phone(phone) if phone and phone.strip() else None
    if conf.ask_phone and not phone:
        raise ValidationFailed('Missing field "phone".', field="phone")
    source = limits.source_keys(address)
    cap = _day_cap(service, conf)
    # a plain read first, before any lock: once a slot is full, the crowd is told so at once instead of
    # queueing for the locks and the slot's row; the new code's uniqueness is read in the same statement
    code = random_code()
    clash = sa.select(sa.exists().where(Booking.code == code).label("clash")).subquery()
    rows = db.session.execute(
        sa.select(clash.c.clash, BookingSlot.start, BookingSlot.taken)
        .select_from(clash.outerjoin(BookingSlot, sa.and_(BookingSlot.service_id == service.id,
                                                          BookingSlot.day == day)))
    ).all()
    taken = {slot: n for _, slot, n in rows if slot is not None}
    if taken.get(start, 0) >= conf.per_slot or (cap is not None and taken.get(DAY_ROW, 0) >= cap):
        raise _full(service, conf, day, start, times, taken, cap, now)
    booking = Booking(
        service_id=service.id, service=service, day=day, start=start, end=_hhmm(match[1]),
        starts_at=match[0], ends_at=match[1], code=_new_code() if rows[0].clash else code,
        token=secrets.token_urlsafe(24),
        status=BookingState.booked, name=name, phone=phone, phone_lang=lang if phone else None, created_at=now,
        address_key=source.address, network_key=source.network,
    )
    # the booking and its first event in one INSERT (one round trip on PostgreSQL)
    insert_now(booking, then=BookingEvent(kind=BookingEventKind.booked, at=now,
                                          user_id=actor.id if actor else None, details={}))
    # a notice to the visitor (notify), written in this transaction before the places: on PostgreSQL the last
    # place's statement commits (places.take(commit=...)), and a refusal rolls the notice back with the rest
    signals.booking_made.send(booking, actor=actor)
    # from here to the commit other bookings of this network (PostgreSQL) wait: the locks, the shares'
    # counts (one statement, leaving this booking out) and the places (one statement a row), nothing else;
    # a refusal rolls the booking back with the rest of the transaction
    key = (service.id, day, start)
    seen_full = hooks.app_cache(SEEN_FULL)
    waiting_since = time_mod.monotonic()
    # this process's bookings of the service reach its rows in turn, PLACES_WIDTH at a time
    take_turn(("booking places", service.id), width=PLACES_WIDTH)
    seen = seen_full.get(key)
    if seen is not None and seen[0] > waiting_since:
        # found full by this process while this request waited for its turn: so it was full while this
        # request was in flight, the same answer (and offers) it would get from the rows, without them
        raise SlotFull(seen[1], **seen[2])
    places.lock_shares(service.id, day, limits.lock_keys(source, phone))
    limits.check_shares(service, day, source, phone, limits.day_places(len(times), conf, cap), exclude=booking.id)
    if (cap is not None and not places.take(service.id, day, DAY_ROW, cap)) \
            or not places.take(service.id, day, start, conf.per_slot, commit=commit):
        full = _full(service, conf, day, start, times, None, cap, now)
        if is_postgres():
            for old in [k for k in seen_full if k[1] < today()]:
                seen_full.pop(old, None)
            seen_full[key] = (time_mod.monotonic(), str(full), full.details)
        raise full
    logger.info("Booking %s for %s %s %s", booking.code, service.code, day, start)
    return booking


def _full(service: Service, conf: BookingConf, day: date, start: str, times: list[tuple[datetime, datetime]],
          taken: dict[str, int] | None, cap: int | None, now: datetime) -> SlotFull:
    """``slot_full`` with the next slots that still have places (what the booking page offers instead)."""
    if taken is None:
        taken = dict(db.session.execute(
            sa.select(BookingSlot.start, BookingSlot.taken)
            .where(BookingSlot.service_id == service.id, BookingSlot.day == day)
        ).all())
    free: list[str] = []
    if cap is None or taken.get(DAY_ROW, 0) < cap:
        free = [_hhmm(s) for s, e in times if e > now and _hhmm(s) != start
                and taken.get(_hhmm(s), 0) < conf.per_slot][:3]
    message = (f"The slot at {start} is full." if cap is None or taken.get(DAY_ROW, 0) < cap else
               f"All of the day's booking places for {service.name} are taken; walk-ins are still welcome.")
    return SlotFull(message, date=day.isoformat(), start=start, next_free=free)


def _log(booking: Booking, kind: BookingEventKind, at: datetime, *, actor: User | None = None,
         **details: Any) -> None:
    db.session.add(BookingEvent(booking_id=booking.id, kind=kind, at=at, user_id=actor.id if actor else None,
                                details={k: v for k, v in details.items() if v is not None}))


def _locked(where: sa.ColumnElement[bool]) -> Booking | None:
    stmt = sa.select(Booking).where(where)
    if is_postgres():
        stmt = stmt.with_for_update(of=Booking)
    return db.session.scalar(stmt)


def get_by_token(token: str) -> Booking:
    """:raise BookingNotFound:"""
    booking = db.session.scalar(sa.select(Booking).where(Booking.token == token)) if token else None
    if booking is None:
        raise BookingNotFound("No booking with that link.")
    return booking


def cancel(token: str, *, actor: User | None = None) -> Booking:
    """Cancel a booking and free its place; a repeat is harmless.

    :raise BookingNotFound:
    :raise BookingClosed: it was already checked in or has expired.
    """
    begin_write()
    booking = _locked(Booking.token == token) if token else None
    if booking is None:
        raise BookingNotFound("No booking with that link.")
    if booking.status is BookingState.cancelled:
        return booking
    if booking.status is not BookingState.booked:
        raise BookingClosed(f"This booking is {booking.status.value.replace('_', ' ')}; it cannot be cancelled.",
                            status=booking.status.value)
    now = clock.utcnow()
    booking.status = BookingState.cancelled
    booking.cancelled_at = now
    places.release(booking.service_id, booking.day, booking.start)
    conf = current_site().service(booking.service.code)
    if conf is not None and conf.booking is not None and _day_cap(booking.service, conf.booking) is not None:
        places.release(booking.service_id, booking.day, DAY_ROW)
    _log(booking, BookingEventKind.cancelled, now, actor=actor)
    db.session.flush()
    return booking


# --- check-in ----------------------------------------------------------------------------------


def check_in(code: str, *, kiosk: str | None = None, actor: User | None = None) -> tuple[Booking, Ticket, bool]:
    """Turn today's booking into a ticket numbered in its service's sequence; a repeat gives the same ticket.

    :return: the booking, its ticket, and whether the ticket was issued now.
    :raise BookingNotFound, NotToday, TooEarly, TooLate, BookingClosed, ServiceClosed, KioskNotFound:
    """
    begin_write()
    code = normalise_code(code)
    booking = _locked(Booking.code == code) if code else None
    if booking is None:
        raise BookingNotFound("No booking with that code.")
    if booking.status is BookingState.checked_in and booking.ticket is not None:
        return booking, booking.ticket, False
    if booking.status is not BookingState.booked:
        raise BookingClosed(f"This booking is {booking.status.value}.", status=booking.status.value)
    now = clock.utcnow()
    if booking.day != today():
        raise NotToday(f"This booking is for {booking.day.isoformat()}, not today.", date=booking.day.isoformat())
    conf = current_site().service(booking.service.code)
    window = conf.booking if conf is not None and conf.booking is not None else BookingConf()
    opens = booking.starts_at - timedelta(minutes=window.checkin_early_minutes)
    if now < opens:
        raise TooEarly(f"Check-in for the {booking.start} slot opens at {opens.astimezone(current_site().tz):%H:%M}.",
                       opens_at=iso(opens))
    closes = booking.ends_at + timedelta(minutes=window.checkin_late_minutes)
    if now > closes:
        raise TooLate(f"Check-in for the {booking.start} slot closed at {closes.astimezone(current_site().tz):%H:%M}.",
                      closed_at=iso(closes))
    ticket, _ = issue_ticket(booking.service.code, kiosk=kiosk, actor=actor, booked_slot_at=booking.starts_at)
    booking.status = BookingState.checked_in
    booking.checked_in_at = now
    booking.ticket_id = ticket.id
    booking.ticket = ticket
    _log(booking, BookingEventKind.checked_in, now, actor=actor, kiosk=kiosk, ticket=ticket.number)
    db.session.flush()
    logger.info("Booking %s checked in as %s", booking.code, ticket.number)
    return booking, ticket, True


# --- housekeeping ------------------------------------------------------------------------------


def expire_bookings(*, actor: User | None = None) -> int:
    """Close bookings never checked in by the end of their slot plus ``checkin_late_minutes``.

    :return: how many expired.
    """
    begin_write()
    now = clock.utcnow()
    stmt = sa.select(Booking).where(Booking.status == BookingState.booked, Booking.ends_at < now)
    if is_postgres():  # several processes sweep at once: each booking is expired (and logged) by one
        stmt = stmt.with_for_update(skip_locked=True)
    expired = 0
    for booking in db.session.scalars(stmt).all():
        conf = current_site().service(booking.service.code)
        late = conf.booking.checkin_late_minutes if conf is not None and conf.booking is not None else 0
        if booking.ends_at + timedelta(minutes=late) >= now:
            continue
        booking.status = BookingState.expired
        booking.expired_at = now
        _log(booking, BookingEventKind.expired, now, actor=actor)
        expired += 1
    db.session.flush()
    if expired:
        logger.info("%d bookings expired unused", expired)
    return expired


# --- views -------------------------------------------------------------------------------------


def manage_url(token: str) -> str:
    return f"{current_site().base_url}/booking/manage/{token}"


def booking_view(booking: Booking) -> dict[str, Any]:
    """The contract's booking body (``GET /api/bookings/<token>``)."""
    service = booking.service
    ticket = booking.ticket
    return {
        "code": booking.code,
        "token": booking.token,
        "service": service.code,
        "service_name": service.name,
        "date": booking.day.isoformat(),
        "start": booking.start,
        "end": booking.end,
        "status": booking.status.value,
        # who cancelled it: the visitor, or the office closing the day (its reason, for the visitor to read)
        "cancelled_by": None if booking.status is not BookingState.cancelled
        else "office" if booking.closed_reason is not None else "visitor",
        "closed_reason": booking.closed_reason if booking.status is BookingState.cancelled else None,
        "name": booking.name,
        "manage_url": manage_url(booking.token),
        "created_at": iso(booking.created_at),
        "checked_in_at": iso(booking.checked_in_at),
        "ticket": {"number": ticket.number, "token": ticket.token} if ticket is not None else None,
    }
