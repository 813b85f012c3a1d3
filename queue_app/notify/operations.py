"""The verbs of the notices: a visitor gives or withdraws a number, staff tell everyone waiting, the provider's
webhooks report, an admin reads a visit's messages. Each flushes; the caller commits."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from queue_app.booking.models import Booking
from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.errors import NotFound
from queue_app.core.extensions import db
from queue_app.core.models import Service
from queue_app.core.phones import normalise_phone
from queue_app.core.site import current_site, iso, today
from queue_app.core.siteconfig.notify import read_secret
from queue_app.metrics import count_notify_message
from queue_app.privacy.registry import masked
from queue_app.queue.models import FINAL_STATES, Ticket, TicketState
from queue_app.staff.admin import audit
from queue_app.staff.models import User

from .models import STATE_ORDER, Message, MessageKind, MessageState
from .record import WRITTEN, enabled


class MessagesNotFound(NotFound):
    """No such ticket or booking."""

    code = "not_found"


def mask(phone: str | None) -> str | None:
    if not phone:
        return None
    try:
        return masked(phone)
    except Exception:  # noqa: BLE001 - a number stored before it was checked: hide all but the ends
        return phone[:2] + "*" * max(0, len(phone) - 4) + phone[-2:]


def phone_view(ticket: Ticket) -> dict[str, Any]:
    return {"phone": mask(ticket.phone),
            "notices": bool(ticket.phone) and enabled() and ticket.status not in FINAL_STATES}


def set_phone(ticket: Ticket, phone: str, lang: str | None = None) -> None:
    """Give (or change) the number of a ticket's notices. :raise InvalidPhone:"""
    digits = normalise_phone(phone)
    begin_write()
    ticket.phone = digits
    if lang:
        ticket.phone_lang = lang
    # messages not sent yet go to the new number
    db.session.execute(sa.update(Message).where(Message.ticket_id == ticket.id,
                                                Message.status == MessageState.queued).values(to=digits))
    db.session.flush()


def remove_phone(ticket: Ticket) -> None:
    """No more messages, and the number erased: from the ticket and from every message of it."""
    begin_write()
    ticket.phone = None
    db.session.execute(sa.update(Message).where(Message.ticket_id == ticket.id,
                                                Message.status == MessageState.queued)
                       .values(status=MessageState.failed.value, last_error="number withdrawn by the visitor"))
    db.session.execute(sa.update(Message).where(Message.ticket_id == ticket.id).values(to=None))
    db.session.flush()


def notify_waiting(service: Service, text: str, actor: User | None) -> int:
    """Staff tell everyone waiting for ``service`` today who gave a number (``notice``, the text as its first
    parameter). The line's tickets with a number are found by their own partial index
    (``ix_tickets_phone_waiting``) and written in one INSERT. :return: how many messages were written."""
    begin_write()
    text = " ".join((text or "").split())[:1000]
    if not enabled() or not text:
        return 0
    now = clock.utcnow()
    site_lang = current_site().locale
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.phone, Ticket.phone_lang)
        .where(Ticket.service_id == service.id, Ticket.service_day == today(), Ticket.phone.is_not(None),
               Ticket.status == TicketState.waiting)).all()
    if rows:
        db.session.execute(Message.__table__.insert(), [
            {"kind": MessageKind.notice.value, "ticket_id": r.id, "booking_id": None, "to": r.phone,
             "lang": r.phone_lang or site_lang, "params": [text], "status": MessageState.queued.value,
             "attempts": 0, "next_attempt_at": now, "created_at": now, "last_error": "", "once_key": None}
            for r in rows])
        session = db.session()
        session.info[WRITTEN] = True
        for _ in rows:
            count_notify_message(MessageKind.notice.value, MessageState.queued.value, session=session)
    audit(actor, "notify.notice", service.code, recipients=len(rows), text=text[:200])
    db.session.flush()
    return len(rows)


# --- the provider's webhooks ---------------------------------------------------------------------------


def signature_ok(raw: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>``."""
    secret = read_secret(current_site().notify.whatsapp.app_secret_file)
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[7:].strip().lower())


def verify_token_ok(token: str | None) -> bool:
    expected = read_secret(current_site().notify.whatsapp.verify_token_file)
    return bool(expected) and token is not None and hmac.compare_digest(expected.encode(), token.encode())


WEBHOOK_STATES = {"sent": MessageState.sent, "delivered": MessageState.delivered, "read": MessageState.read,
                  "failed": MessageState.failed}


def statuses_of(payload: Any) -> list[dict[str, Any]]:  # noqa: ANN401
    """The ``statuses`` of a WhatsApp webhook's body."""
    statuses: list[dict[str, Any]] = []
    if isinstance(payload, dict):
        for entry in payload.get("entry") or []:
            for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
                value = change.get("value") if isinstance(change, dict) else None
                if isinstance(value, dict) and isinstance(value.get("statuses"), list):
                    statuses += [s for s in value["statuses"] if isinstance(s, dict)]
    return statuses


def apply_status_list(statuses: list[dict[str, Any]]) -> int:
    """Move messages by WhatsApp's statuses (forward only); the caller commits. :return: messages moved."""
    if not statuses:
        return 0
    begin_write()
    moved = 0
    for s in statuses:
        state = WEBHOOK_STATES.get(str(s.get("status")))
        provider_id = str(s.get("id") or "")[:200]
        if state is None or not provider_id:
            continue
        m = db.session.scalar(sa.select(Message).where(Message.provider_id == provider_id))
        if m is None or STATE_ORDER[state] <= STATE_ORDER[m.status]:
            continue
        m.status = state
        m.status_at = _stamp(s.get("timestamp"))
        if state is MessageState.failed:
            errors = s.get("errors") or []
            first = errors[0] if errors and isinstance(errors[0], dict) else {}
            m.last_error = str(first.get("title") or first.get("message") or "failed (webhook)")[:300]
        count_notify_message(m.kind.value, state.value, session=db.session())
        moved += 1
    db.session.flush()
    return moved


def _stamp(value: Any) -> datetime:  # noqa: ANN401
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return clock.utcnow()


# --- reading -----------------------------------------------------------------------------------------------


def messages_of(*, ticket: str | None = None, day: date | None = None, booking: str | None = None) -> list[dict]:
    """The messages of a ticket (by number and day) or a booking (by code), in order of creation.

    :raise MessagesNotFound:
    """
    if booking is not None:
        owner = db.session.scalar(sa.select(Booking.id).where(Booking.code == booking.strip().upper()))
        where = Message.booking_id == owner
    else:
        owner = db.session.scalar(sa.select(Ticket.id).where(Ticket.number == (ticket or "").strip().upper(),
                                                             Ticket.service_day == (day or today()))
                                  .order_by(Ticket.id).limit(1))
        where = Message.ticket_id == owner
    if owner is None:
        raise MessagesNotFound("No such booking." if booking is not None else "No such ticket that day.")
    rows = db.session.scalars(sa.select(Message).where(where).order_by(Message.id)).all()
    return [{"kind": m.kind.value, "to": mask(m.to), "status": m.status.value, "attempts": m.attempts,
             "created_at": iso(m.created_at), "sent_at": iso(m.sent_at)} for m in rows]
