"""Which change writes which message: receivers of the ticket's and the booking's signals, in the change's own
transaction (a rolled-back call sends nothing), and the operations staff and housekeeping call.

Every receiver costs nothing when notices are off (``[notify] provider = ""``), and one cheap statement when on:
a ticket without a phone writes nothing. The ``ahead`` notice looks at one row per move of a line: the ticket
that now has exactly ``ahead_at`` people ahead (``OFFSET ahead_at`` on the line's index), never the whole line.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from queue_app.booking import signals as booking_signals
from queue_app.booking.models import Booking, BookingState
from queue_app.core import clock
from queue_app.core.database import begin_write, insert_or_nothing
from queue_app.core.extensions import db
from queue_app.core.models import Counter
from queue_app.core.site import current_site, today
from queue_app.metrics import count_notify_message
from queue_app.queue import signals
from queue_app.queue.models import EventKind, Ticket, TicketState

from .models import Message, MessageKind, MessageState

#: the session's mark that a message was written: the sender wakes after its commit (queue_app.notify.sender)
WRITTEN = "notify_written"


def enabled() -> bool:
    return bool(current_site().notify.provider)


def queue_message(kind: MessageKind, *, to: str, lang: str | None, params: list[Any],
                  ticket_id: int | None = None, booking_id: int | None = None, once: str | None = None,
                  at: datetime | None = None) -> bool:
    """Write one message to send after commit. ``once``: a key no second message may have (whichever process
    writes it first wins; the other writes nothing). :return: whether it was written."""
    now = at or clock.utcnow()
    values = {"kind": kind.value, "ticket_id": ticket_id, "booking_id": booking_id, "to": to,
              "lang": lang if lang in ("id", "en") else current_site().locale, "params": [str(p) for p in params],
              "status": MessageState.queued.value, "attempts": 0, "next_attempt_at": now, "created_at": now,
              "last_error": "", "once_key": once}
    table = Message.__table__
    if once is None:
        db.session.execute(table.insert().values(**values))
    elif not db.session.execute(insert_or_nothing(table, values)).rowcount:
        return False
    session = db.session()
    session.info[WRITTEN] = True
    count_notify_message(kind.value, MessageState.queued.value, session=session)
    return True


def track_url(token: str) -> str:
    return f"{current_site().base_url}/t/{token}"


def _for_ticket(ticket: Ticket, kind: MessageKind, *params: Any, once: str | None = None) -> None:  # noqa: ANN401
    phone = ticket.phone
    if not phone or not enabled():
        return
    queue_message(kind, to=phone, lang=ticket.phone_lang, params=[ticket.number, *params], ticket_id=ticket.id,
                  once=once)


# --- the ticket's life ----------------------------------------------------------------------------------


def on_issued(ticket: Ticket, **_: Any) -> None:  # noqa: ANN401
    if ticket.phone and enabled():
        with db.session.no_autoflush:
            service = ticket.service
        _for_ticket(ticket, MessageKind.issued, service.name, track_url(ticket.token))
        zone = _come_now_zone(service.code)
        if ticket.away and zone and ticket.ahead_at_issue is not None and ticket.ahead_at_issue < zone:
            come_now(ticket)  # joined from afar with the line already short: come now


def on_called(ticket: Ticket, *, kind: EventKind, counter: Counter | None = None, **_: Any) -> None:  # noqa: ANN401
    if not enabled():
        return
    _for_ticket(ticket, MessageKind.called, counter.name if counter is not None else "")
    if kind is EventKind.called:  # the line moved up
        line_moved(ticket)


def on_missed(ticket: Ticket, **_: Any) -> None:  # noqa: ANN401
    _for_ticket(ticket, MessageKind.missed)


def on_finished(ticket: Ticket, **_: Any) -> None:  # noqa: ANN401
    _for_ticket(ticket, MessageKind.done, track_url(ticket.token))


def on_cancelled(ticket: Ticket, **_: Any) -> None:  # noqa: ANN401
    """A waiting ticket left its line: those behind it moved up. (A transfer or a visit's next step takes a
    ticket that was at a counter, not in a line: nobody moves up; in its new line, people move back.)"""
    if enabled():
        line_moved(ticket)


def line_moved(ticket: Ticket) -> None:
    """``ticket`` left its line: the one now ``ahead_at`` from the front, and those joined from afar now
    inside their ``arrive_ahead``, are told."""
    check_ahead(ticket.service_id, ticket.service_day)
    with db.session.no_autoflush:
        code = ticket.service.code
    check_come_now(ticket.service_id, ticket.service_day, _come_now_zone(code))


def check_ahead(service_id: int, day: Any) -> None:  # noqa: ANN401
    """The ticket with exactly ``ahead_at`` people ahead in this line gets its ``ahead`` notice (once)."""
    n = current_site().notify.ahead_at
    if n <= 0:
        return
    row = db.session.execute(
        sa.select(Ticket.id, Ticket.number, Ticket.phone, Ticket.phone_lang)
        .where(Ticket.service_day == day, Ticket.status == TicketState.waiting, Ticket.service_id == service_id)
        .order_by(Ticket.priority.desc(), Ticket.queue_at, Ticket.id).offset(n).limit(1)
    ).first()
    if row is not None and row.phone:
        queue_message(MessageKind.ahead, to=row.phone, lang=row.phone_lang, params=[row.number, n],
                      ticket_id=row.id, once=f"ahead:{row.id}")


def _come_now_zone(service_code: str) -> int:
    """How near the front a ticket joined from afar is told to come: fewer than this many ahead (0: never)."""
    conf = current_site().service(service_code)
    remote = getattr(conf, "remote", None) if conf is not None else None
    return max(1, remote.arrive_ahead) if remote is not None else 0


def check_come_now(service_id: int, day: Any, zone: int) -> None:  # noqa: ANN401
    """Tickets joined from afar, not arrived, with a phone, among the first ``zone`` of the line: ``come_now``
    once each (the line's first rows on its index, however long it is)."""
    if zone <= 0:
        return
    front = (sa.select(Ticket.id, Ticket.number, Ticket.phone, Ticket.phone_lang, Ticket.checkin_code,
                       Ticket.arrived_at)
             .where(Ticket.service_day == day, Ticket.status == TicketState.waiting, Ticket.service_id == service_id)
             .order_by(Ticket.priority.desc(), Ticket.queue_at, Ticket.id).limit(zone))
    for row in db.session.execute(front):
        if row.phone and row.checkin_code is not None and row.arrived_at is None:
            queue_message(MessageKind.come_now, to=row.phone, lang=row.phone_lang, params=[row.number],
                          ticket_id=row.id, once=f"come_now:{row.id}")


def come_now(ticket: Ticket) -> bool:
    """A ticket joined from afar, not arrived, whose turn is near (``arrive_ahead`` reached): tell it once.
    Called by the virtual queue where it finds such tickets. :return: whether a message was written."""
    if not ticket.phone or not enabled():
        return False
    return queue_message(MessageKind.come_now, to=ticket.phone, lang=ticket.phone_lang, params=[ticket.number],
                         ticket_id=ticket.id, once=f"come_now:{ticket.id}")


# --- bookings -------------------------------------------------------------------------------------------


def _booking_params(booking: Booking) -> list[Any]:
    return [booking.code, booking.service.name, booking.day.isoformat(), booking.start]


def on_booked(booking: Booking, **_: Any) -> None:  # noqa: ANN401
    if booking.phone and enabled():
        queue_message(MessageKind.booked, to=booking.phone, lang=booking.phone_lang, params=_booking_params(booking),
                      booking_id=booking.id, once=f"booked:{booking.id}")


#: the reminder the day before goes at this local time
REMINDER_EVE = time(16, 0)
REMINDER_BEFORE = timedelta(hours=1)


def send_reminders() -> int:
    """Housekeeping: the reminders due now (16:00 the day before the slot, and one hour before it), each once,
    for bookings with a phone still booked, made before the reminder's time. The caller commits."""
    if not enabled():
        return 0
    site = current_site()
    now = clock.utcnow()
    tomorrow = today() + timedelta(days=1)
    eve = datetime.combine(tomorrow - timedelta(days=1), REMINDER_EVE, site.tz)
    soon = now + REMINDER_BEFORE
    base = sa.select(Booking).where(Booking.status == BookingState.booked, Booking.phone.is_not(None))
    due: list[tuple[Booking, str]] = []
    if now >= eve:
        due += [(b, "day") for b in db.session.scalars(base.where(Booking.day == tomorrow, Booking.created_at < eve))]
    due += [(b, "hour") for b in db.session.scalars(base.where(Booking.starts_at > now, Booking.starts_at <= soon))
            if b.created_at < b.starts_at - REMINDER_BEFORE]
    already = set(db.session.scalars(sa.select(Message.once_key).where(
        Message.once_key.in_([f"reminder-{when}:{b.id}" for b, when in due])))) if due else set()
    due = [(b, when) for b, when in due if f"reminder-{when}:{b.id}" not in already]
    if not due:
        return 0
    todo = [(b.id, b.phone, b.phone_lang, _booking_params(b), when) for b, when in due]
    db.session.rollback()  # a read so far: the writes take the write lock from their start (SQLite)
    begin_write()
    written = 0
    for booking_id, phone, lang, params, when in todo:
        written += queue_message(MessageKind.reminder, to=phone, lang=lang, params=params, booking_id=booking_id,
                                 once=f"reminder-{when}:{booking_id}")
    return written


def connect() -> None:
    """Listen to the ticket's and the booking's signals (once per process)."""
    signals.ticket_issued.connect(on_issued, weak=False)
    signals.ticket_called.connect(on_called, weak=False)
    signals.ticket_missed.connect(on_missed, weak=False)
    signals.ticket_finished.connect(on_finished, weak=False)
    signals.ticket_cancelled.connect(on_cancelled, weak=False)
    booking_signals.booking_made.connect(on_booked, weak=False)
