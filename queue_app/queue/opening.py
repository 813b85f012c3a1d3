"""Whether a service takes tickets right now, and if not, the 409 that says why and when it opens again."""

from __future__ import annotations

from datetime import datetime

from queue_app.core import clock
from queue_app.core.calendar import opening
from queue_app.core.errors import QueueError
from queue_app.core.formats import month_name, weekday_name
from queue_app.core.i18n import LANGS, translate
from queue_app.core.models import Service
from queue_app.core.site import current_site, iso
from queue_app.queue import strings  # noqa: F401  (registers opening.*)
from queue_app.queue.errors import HolidayClosed, OutsideHours, ServiceClosed


def closed_error(service: Service, *, now: datetime | None = None) -> QueueError | None:
    """The error a ticket request for ``service`` gets now, or None while it is open.

    An admin's closure for today wins, then the building's calendar (holiday, outside the day's windows).
    """
    now = now or clock.utcnow()
    if not service.active or service.closed_on == clock.local_day(current_site().tz, now):
        return ServiceClosed(service.closed_reason or f"{service.name} is closed today.", service=service.code)
    state = opening(service.code, now)
    if state.open:
        return None
    reopens = state.reopens_at
    when = f" It opens again on {reopens:%A %d %B %Y at %H:%M}." if reopens else ""
    if state.reason == "holiday":
        return HolidayClosed(f"Closed today for {state.holiday}.{when}", service=service.code,
                             holiday=state.holiday, reopens_at=iso(reopens))
    return OutsideHours(f"{service.name} takes no tickets now.{when}", service=service.code,
                        reopens_at=iso(reopens))


def service_open_reason(service: Service, *, now: datetime | None = None) -> str | None:
    """Why the service takes no tickets now (code of the error), or None when it is open."""
    error = closed_error(service, now=now)
    return None if error is None else error.code


def reopens_label(reopens_at: datetime | None, *, now: datetime | None = None) -> dict[str, str] | None:
    """When a closed service opens again, as the kiosk says it in both languages, in the site's zone.

    The texts are the catalogue's (``opening.*``, :mod:`queue_app.core.formats`). The same day: "Buka kembali pukul 13.00" / "Opens again at 13:00"; within a week: "Buka Senin 08.00";
    later (a long holiday): "Buka Senin, 28 Desember 08.00". Indonesian writes the time with a dot.
    """
    if reopens_at is None:
        return None
    tz = current_site().tz
    local, today_ = reopens_at.astimezone(tz), (now or clock.utcnow()).astimezone(tz).date()
    hhmm = f"{local:%H:%M}"
    days = (local.date() - today_).days
    out = {}
    for lang in LANGS:
        time_ = hhmm.replace(":", ".") if lang == "id" else hhmm  # Indonesian writes the time with a dot
        if days == 0:
            out[lang] = translate(lang, "opening.again_at", time=time_)
            continue
        when = weekday_name(local.date(), lang)
        if days > 6:
            when = f"{when}, {local.day} {month_name(local.month, lang)}"
        out[lang] = translate(lang, "opening.on_day", day=when, time=time_)
    return out
