"""Staff's notice to everyone waiting for a service ("Loket 3 sedang gangguan, mohon bersabar").

A manager of the service's agency (or an admin) writes one text; it reaches, after commit:

- the phone pages watching that service's line (``service_notice`` on ``/ticket``, room ``queue:<id>``): a
  banner on each waiting ticket's page;
- the hall displays of the zones whose counters serve it (every zone when none does): the text in the media
  area for :data:`SHOW_MINUTES` (``service_notice`` on ``/display``);
- the phones given with those waiting tickets, as a ``notice`` WhatsApp/SMS message each: the
  :data:`~queue_app.queue.signals.service_notice_sent` signal's receivers (the notify feature) write them in
  this transaction and answer how many they wrote.

Each notice is audited (``service_notice``) and kept as the service's current one (a ``settings`` row, read
through the catalogue): a phone page opened or reconnected later that day shows it too, and a display that
(re)connects while it still shows. The caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from queue_app.api.declare import Answer
from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.errors import Forbidden, ValidationFailed
from queue_app.core.events import declare
from queue_app.core.extensions import db
from queue_app.core.i18n import register
from queue_app.core.lookups import active_services, get_service, setting_value
from queue_app.core.models import Counter, CounterService, Service
from queue_app.core.outbox import record
from queue_app.core.site import current_site, iso, today
from queue_app.queue.events import DISPLAY, TICKET
from queue_app.queue.models import Ticket, TicketState
from queue_app.queue.signals import service_notice_sent
from queue_app.staff.admin import audit, store_setting
from queue_app.staff.models import Role, User

#: a notice is one short message: an SMS of two parts, a WhatsApp template's parameter, a display's slide
MAX_TEXT = 300
#: how long the hall displays keep showing a notice
SHOW_MINUTES = 10

register("errors", {
    "id": {
        "service_notice_empty": "Tulis isi pengumuman.",
        "service_notice_long": "Pengumuman paling banyak {n} karakter.",
        "service_notice_agency": "Hanya manajer instansi {agency} atau admin yang dapat mengirim pengumuman "
                                 "untuk layanan ini.",
    },
    "en": {
        "service_notice_empty": "Write the notice's text.",
        "service_notice_long": "A notice has at most {n} characters.",
        "service_notice_agency": "Only a manager of {agency} or an admin may send a notice for this service.",
    },
})


class ServiceNotice(Answer):
    """Staff's notice to everyone waiting for a service."""

    service: str
    service_name: str
    service_name_en: str
    text: str
    at: datetime
    #: the displays show it until then
    until: datetime


service_notice = declare("service_notice", TICKET, DISPLAY, payload=ServiceNotice,
                         summary="Staff's notice to everyone waiting for a service (`POST /api/services/<code>/"
                                 "notice`): phones watching its line show a banner on a waiting ticket, the "
                                 "displays of the zones serving it show it in the media area until `until`. "
                                 "Also sent on connect, after `ticket` or `board`: to a waiting ticket, its "
                                 "line's latest notice of the day; to a display, those it still shows.")


def may_send(user: User, service: Service) -> None:
    """:raise Forbidden: ``user`` is neither an admin nor a manager of ``service``'s agency (a manager scoped to
    no agency manages them all)."""
    if user.role is Role.admin:
        return
    if user.role is Role.manager and user.agency_id in (None, service.agency_id):
        return
    raise Forbidden(text="service_notice_agency", values={"agency": service.agency.code})


def clean_text(text: str) -> str:
    """The notice's text, trimmed, blank lines squeezed. :raise ValidationFailed: empty or too long (422)."""
    lines = [" ".join(line.split()) for line in text.strip().splitlines()]
    clean = "\n".join(line for line in lines if line)
    if not clean:
        raise ValidationFailed(text="service_notice_empty", field="text")
    if len(clean) > MAX_TEXT:
        raise ValidationFailed(text="service_notice_long", values={"n": MAX_TEXT}, field="text")
    return clean


def send_notice(code: str, text: str, *, actor: User) -> dict[str, Any]:
    """Tell everyone waiting for service ``code``: phone pages, hall displays, and the phones given.

    :return: ``{"recipients": N, "waiting": W}``: N phones messaged, W tickets waiting.
    :raise ServiceNotFound: :raise Forbidden: (see :func:`may_send`) :raise ValidationFailed: (see :func:`clean_text`)
    """
    service = get_service(code)
    may_send(actor, service)
    text = clean_text(text)
    begin_write()
    now = clock.utcnow()
    payload = {"service": service.code, "service_name": service.name, "service_name_en": service.name_en or "",
               "text": text, "at": iso(now), "until": iso(now + timedelta(minutes=SHOW_MINUTES))}
    store_setting(actor, _key(service.code), payload)  # the current one, for pages that connect later
    record(service_notice, payload, namespace=TICKET, to=f"queue:{service.id}")
    for zone in _zones(service):
        record(service_notice, payload, namespace=DISPLAY, to=f"zone:{zone}")
    results = service_notice_sent.send(service, text=text, actor=actor, at=now)
    recipients = sum(r for _, r in results if isinstance(r, int))
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.service_id == service.id, Ticket.service_day == today(),
        Ticket.status == TicketState.waiting)) or 0
    audit(actor, "service_notice", service.code, text=text, recipients=recipients, waiting=waiting)
    db.session.flush()
    return {"recipients": recipients, "waiting": waiting}


def _key(code: str) -> str:
    return f"service_notice:{code}"


def current_notice(code: str) -> dict[str, Any] | None:
    """Service ``code``'s latest notice if it was sent today (the site's day): what a waiting ticket's page
    that opens or reconnects after it shows (the phone that was offline when it was pushed)."""
    notice = setting_value(_key(code))
    if not isinstance(notice, dict):
        return None
    sent = datetime.fromisoformat(notice["at"])  # as send_notice wrote it: with the site's offset
    return notice if clock.local_day(current_site().tz, sent) == today() else None


def showing_notices(zones: list[str]) -> list[dict[str, Any]]:
    """The notices the displays of ``zones`` still show (their ``until`` not passed), oldest first: what a
    display that (re)connects meanwhile is sent after its board."""
    now = clock.utcnow()
    out = []
    for service in active_services():
        notice = setting_value(_key(service.code))
        if isinstance(notice, dict) and datetime.fromisoformat(notice["until"]) > now \
                and set(_zones(service)) & set(zones):
            out.append(notice)
    return sorted(out, key=lambda n: datetime.fromisoformat(n["at"]))


def _zones(service: Service) -> list[str]:
    """The zones whose displays show the service's calls: those of its counters, or every zone."""
    zones = db.session.scalars(sa.select(Counter.zone).distinct().join(CounterService).where(
        CounterService.service_id == service.id, Counter.active)).all()
    return sorted(zones) or list(current_site().zones)
