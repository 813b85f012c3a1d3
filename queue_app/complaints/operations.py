"""The complaints' verbs: receive one, answer it, list the inbox, count them, and erase the contact details.

Routing: a complaint naming a service (or sent from a ticket's phone page) goes to that service's agency; one
naming neither goes to the MPP's management (admins and managers of no agency). Deadline: ``respond_by`` is the
``[complaints] respond_within_days``-th working day after the day it was received, working days being the days
the building is open in the site's calendar (``[site.hours]``, holidays, an admin's closures).
"""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from queue_app.core import clock
from queue_app.core.calendar import open_ranges
from queue_app.core.database import begin_write, is_postgres, upsert_increment
from queue_app.core.errors import Forbidden, ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.lookups import get_service
from queue_app.core.models import Agency, Service
from queue_app.core.phones import normalise_phone
from queue_app.core.site import current_site, iso
from queue_app.core.site import today as site_today
from queue_app.queue.models import Ticket
from queue_app.staff.models import Role, User

from . import signals
from .errors import ComplaintNotFound
from .models import Complaint, ComplaintNumber, ComplaintResponse, ComplaintStatus

MAX_TEXT = 4000
MAX_NAME = 100
MAX_EMAIL = 254
MAX_LAPOR = 64
#: how far the deadline search looks for working days before it gives up and counts plain days
MAX_LOOKAHEAD_DAYS = 400
EMAIL_RE = re.compile(r"^[^@ ]+@[^@ ]+\.[^@ ]+$")  # as the request shape says (queue_app.complaints.shapes)
LAPOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]*$")
REFERENCE_RE = re.compile(r"^ADU-[0-9]{4}-[0-9]{4,}$")


# --- checking what a person typed ---------------------------------------------------------------------


def _text(value: str | None, field: str, limit: int, *, required: bool = False) -> str | None:
    """A typed text stripped; None when empty. :raise ValidationFailed: empty when required, or too long."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise ValidationFailed(f'Field "{field}" must not be empty.', field=field)
        return None
    if len(cleaned) > limit:
        raise ValidationFailed(f'Field "{field}" may have at most {limit} characters.', field=field)
    return cleaned


def _email(value: str | None) -> str | None:
    email = _text(value, "email", MAX_EMAIL)
    if email is not None and not EMAIL_RE.match(email):
        raise ValidationFailed('Field "email" must be an email address.', field="email")
    return email


def _lapor(value: str | None) -> str | None:
    number = _text(value, "lapor", MAX_LAPOR)
    if number is not None and not LAPOR_RE.match(number):
        raise ValidationFailed('Field "lapor" must be the SP4N-LAPOR! number (letters, digits, "/._-").',
                               field="lapor")
    return number


# --- the deadline ---------------------------------------------------------------------------------------


def working_days_after(day: date, days: int) -> date:
    """The ``days``-th day after ``day`` on which the building is open (the day itself not counted).

    Without ``[site.hours]`` every day but a holiday or a closure is one. If the calendar has no opening for
    a long while (a misconfigured site), plain days are counted rather than never.
    """
    site = current_site()
    found, current = 0, day
    for _ in range(MAX_LOOKAHEAD_DAYS):
        current += timedelta(days=1)
        if open_ranges(None, current, site):
            found += 1
            if found == days:
                return current
    return day + timedelta(days=days)


def is_overdue(complaint: Complaint, today: date | None = None) -> bool:
    """Not resolved, and its deadline's last day has passed."""
    return complaint.status is not ComplaintStatus.resolved and (today or site_today()) > complaint.respond_by


# --- receiving ------------------------------------------------------------------------------------------


def _new_reference(day: date) -> str:
    month = f"{day:%y%m}"
    number = upsert_increment(ComplaintNumber.__table__, {"month": month}, "last_number")
    return f"ADU-{month}-{number:04d}"


def receive(text: str, *, service: str | None = None, ticket: str | None = None, name: str | None = None,
            phone: str | None = None, email: str | None = None, lang: str = "id") -> Complaint:
    """Record a complaint and route it to its agency. The caller commits.

    :param service: a service's code; else the service of ``ticket`` (a visitor's token), else none.
    :raise ValidationFailed: empty or too long text, a bad email (422); ``InvalidPhone`` (422).
    :raise ServiceNotFound, TicketNotFound: (404).
    """
    body = _text(text, "text", MAX_TEXT, required=True)
    name = _text(name, "name", MAX_NAME)
    phone = normalise_phone(phone) if phone is not None and phone.strip() else None
    email = _email(email)
    begin_write()
    visit = None
    if ticket:
        from queue_app.queue.operations import get_ticket_by_token

        visit = get_ticket_by_token(ticket)
    found = get_service(service) if service else None
    service_id = found.id if found is not None else (visit.service_id if visit is not None else None)
    agency_id = found.agency_id if found is not None else None
    if agency_id is None and service_id is not None:
        agency_id = db.session.scalar(sa.select(Service.agency_id).where(Service.id == service_id))
    now = clock.utcnow()
    day = clock.local_day(current_site().tz, now)
    has_contact = any(v is not None for v in (name, phone, email))
    complaint = Complaint(
        reference=_new_reference(day), token=secrets.token_urlsafe(24), text=body, service_id=service_id,
        agency_id=agency_id, ticket_id=visit.id if visit is not None else None, status=ComplaintStatus.received,
        received_at=now, received_day=day,
        respond_by=working_days_after(day, current_site().complaints_respond_within_days),
        lang=lang if lang in ("id", "en") else "id", name=name, phone=phone, email=email,
        contact_day=day if has_contact else None, lapor="",
    )
    db.session.add(complaint)
    db.session.flush()
    signals.complaint_received.send(complaint, track_url=track_url(complaint), phone=complaint.phone,
                                    lang=complaint.lang)
    return complaint


def track_url(complaint: Complaint) -> str:
    """The visitor's link to follow the complaint (absolute, for a message or a QR code)."""
    return f"{current_site().base_url}/pengaduan/{complaint.token}"


# --- finding --------------------------------------------------------------------------------------------


def get_by_token(token: str) -> Complaint:
    """:raise ComplaintNotFound:"""
    found = None
    if token and len(token) <= 64:
        found = db.session.scalar(sa.select(Complaint).where(Complaint.token == token)
                                  .options(selectinload(Complaint.responses)))
    if found is None:
        raise ComplaintNotFound("No complaint with that link.")
    return found


def get_by_reference(reference: str, *, lock: bool = False) -> Complaint:
    """:raise ComplaintNotFound:"""
    reference = (reference or "").strip().upper()
    found = None
    if REFERENCE_RE.match(reference):
        stmt = sa.select(Complaint).where(Complaint.reference == reference)
        if lock and is_postgres():
            stmt = stmt.with_for_update()
        found = db.session.scalar(stmt)
    if found is None:
        raise ComplaintNotFound(f'No complaint "{reference}".')
    return found


def require_scope(user: User, complaint: Complaint) -> None:
    """:raise Forbidden: a manager of another agency (or, for a complaint routed to no agency, of any agency);
    clerks never handle complaints."""
    if user.role is Role.admin:
        return
    if user.role is not Role.manager:
        raise Forbidden("Complaints are handled by managers and admins.")
    if user.agency_id is not None and user.agency_id != complaint.agency_id:
        raise Forbidden("This complaint belongs to another agency.")


# --- views ------------------------------------------------------------------------------------------------


def _names(complaint: Complaint) -> dict[str, Any]:
    service = db.session.get(Service, complaint.service_id) if complaint.service_id else None
    agency = db.session.get(Agency, complaint.agency_id) if complaint.agency_id else None
    return {"service": service.code if service else None, "service_name": service.name if service else None,
            "agency": agency.code if agency else None, "agency_name": agency.name if agency else None}


def public_view(complaint: Complaint) -> dict[str, Any]:
    """What the visitor's link shows: never the name, phone or email, nor who answered."""
    return {
        "reference": complaint.reference, "token": complaint.token, "status": complaint.status.value,
        "received_at": iso(complaint.received_at), "respond_by": complaint.respond_by.isoformat(),
        **_names(complaint), "text": complaint.text, "lapor": complaint.lapor or None,
        "responses": [{"at": iso(r.at), "text": r.text} for r in complaint.responses],
    }


def created_view(complaint: Complaint) -> dict[str, Any]:
    """``POST /api/complaints``'s answer."""
    return {"reference": complaint.reference, "token": complaint.token, "status": complaint.status.value,
            "received_at": iso(complaint.received_at), "respond_by": complaint.respond_by.isoformat(),
            "track_url": track_url(complaint)}


def _ticket_number(complaint: Complaint) -> str | None:
    if complaint.ticket_id is None:
        return None
    return db.session.scalar(sa.select(Ticket.number).where(Ticket.id == complaint.ticket_id))


def staff_item(complaint: Complaint, *, today: date | None = None, names: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    """One line of the inbox (no token: a visitor's link is never shown to staff)."""
    names = names if names is not None else _names(complaint)
    return {
        "reference": complaint.reference, "service": names["service"], "agency": names["agency"],
        "status": complaint.status.value, "received_at": iso(complaint.received_at),
        "respond_by": complaint.respond_by.isoformat(), "overdue": is_overdue(complaint, today),
        "text": complaint.text, "lapor": complaint.lapor or None,
    }


def staff_view(complaint: Complaint) -> dict[str, Any]:
    """A complaint for the staff who handle it: the text, the contact details given, every answer."""
    names = _names(complaint)
    users = {u.id: u.username for u in db.session.scalars(
        sa.select(User).where(User.id.in_({r.user_id for r in complaint.responses if r.user_id})))}
    return {
        **staff_item(complaint, names=names), "service_name": names["service_name"],
        "agency_name": names["agency_name"], "ticket": _ticket_number(complaint),
        "name": complaint.name, "phone": complaint.phone, "email": complaint.email,
        "first_response_at": iso(complaint.first_response_at), "resolved_at": iso(complaint.resolved_at),
        "responses": [{"at": iso(r.at), "text": r.text, "status": r.status.value, "lapor": r.lapor or None,
                       "by": users.get(r.user_id) if r.user_id else None} for r in complaint.responses],
    }


STATUSES = tuple(s.value for s in ComplaintStatus)


def inbox(*, agency_id: int | None = None, status: str | None = None, overdue: bool | None = None,
          limit: int = 200) -> list[Complaint]:
    """Complaints newest first, of one agency (None: all), of one status, only overdue ones (or only not)."""
    today = site_today()
    stmt = sa.select(Complaint).order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(limit)
    if agency_id is not None:
        stmt = stmt.where(Complaint.agency_id == agency_id)
    if status is not None:
        stmt = stmt.where(Complaint.status == ComplaintStatus(status))
    late = sa.and_(Complaint.status != ComplaintStatus.resolved, Complaint.respond_by < today)
    if overdue is True:
        stmt = stmt.where(late)
    elif overdue is False:
        stmt = stmt.where(sa.not_(late))
    return list(db.session.scalars(stmt))


def inbox_items(complaints: list[Complaint]) -> list[dict[str, Any]]:
    """The inbox's lines, the services and agencies looked up once."""
    today = site_today()
    services = {s.id: s for s in db.session.scalars(
        sa.select(Service).where(Service.id.in_({c.service_id for c in complaints if c.service_id})))}
    agencies = {a.id: a for a in db.session.scalars(
        sa.select(Agency).where(Agency.id.in_({c.agency_id for c in complaints if c.agency_id})))}
    out = []
    for c in complaints:
        s, a = services.get(c.service_id), agencies.get(c.agency_id)
        names = {"service": s.code if s else None, "service_name": s.name if s else None,
                 "agency": a.code if a else None, "agency_name": a.name if a else None}
        out.append(staff_item(c, today=today, names=names))
    return out


# --- answering ------------------------------------------------------------------------------------------


def respond(actor: User, reference: str, text: str, *, status: str | None = None,
            lapor: str | None = None) -> ComplaintResponse:
    """Answer a complaint; the visitor sees the text on their link. The caller commits.

    Without ``status`` a received complaint becomes ``in_progress`` and any other keeps its status; ``resolved``
    closes it (``resolved_at`` is its first resolution), ``in_progress`` opens it again.

    :raise ComplaintNotFound: (404). :raise Forbidden: not the complaint's agency (403).
    :raise ValidationFailed: empty text, a bad status or SP4N-LAPOR! number (422).
    """
    body = _text(text, "text", MAX_TEXT, required=True)
    number = _lapor(lapor)
    if status is not None and status not in ("in_progress", "resolved"):
        raise ValidationFailed('Field "status" must be "in_progress" or "resolved".', field="status")
    begin_write()
    complaint = get_by_reference(reference, lock=True)
    require_scope(actor, complaint)
    now = clock.utcnow()
    if status is not None:
        new = ComplaintStatus(status)
    elif complaint.status is ComplaintStatus.received:
        new = ComplaintStatus.in_progress
    else:
        new = complaint.status
    if new is ComplaintStatus.resolved:
        complaint.resolved_at = complaint.resolved_at if complaint.status is ComplaintStatus.resolved else now
    else:
        complaint.resolved_at = None
    complaint.status = new
    if complaint.first_response_at is None:
        complaint.first_response_at = now
    if number is not None:
        complaint.lapor = number
    if complaint.contact_day is not None:
        complaint.contact_day = clock.local_day(current_site().tz, now)
    response = ComplaintResponse(complaint=complaint, at=now, text=body, status=new, lapor=number or "",
                                 user_id=actor.id if actor is not None else None)
    db.session.add(response)
    db.session.flush()
    signals.complaint_answered.send(complaint, response=response, status=new.value, track_url=track_url(complaint),
                                    phone=complaint.phone, lang=complaint.lang)
    return response


# --- personal data (the privacy feature calls these) ---------------------------------------------------


def contact_export(phone: str) -> list[dict[str, Any]]:
    """Everything stored with complaints that gave this phone number (``mpp-queue privacy export``)."""
    digits = normalise_phone(phone)
    found = db.session.scalars(sa.select(Complaint).where(Complaint.phone == digits).order_by(Complaint.id))
    return [{"reference": c.reference, "received_at": iso(c.received_at), "name": c.name, "phone": c.phone,
             "email": c.email, "text": c.text, "status": c.status.value} for c in found]


def _erase(complaints: list[Complaint]) -> int:
    for c in complaints:
        c.name = c.phone = c.email = None
        c.contact_day = None
    db.session.flush()
    return len(complaints)


def erase_contact(phone: str) -> int:
    """Erase this phone number and the names and emails given with it from every complaint. The caller commits.

    :return: how many complaints had it. :raise InvalidPhone: not a phone number.
    """
    digits = normalise_phone(phone)
    begin_write()
    return _erase(list(db.session.scalars(sa.select(Complaint).where(Complaint.phone == digits))))


def contacts_older_than(day: date) -> list[Complaint]:
    """Complaints holding contact details last needed before local ``day`` (received or answered before it)."""
    return list(db.session.scalars(sa.select(Complaint).where(Complaint.contact_day.is_not(None),
                                                              Complaint.contact_day < day)))


def erase_contacts_older_than(day: date) -> int:
    """Erase the contact details of :func:`contacts_older_than` (the daily housekeeping). The caller commits."""
    begin_write()
    return _erase(contacts_older_than(day))
