"""Whether a service takes tickets right now, and if not, the 409 that says why and when it opens again."""

from __future__ import annotations

from datetime import datetime

from queue_app.core import clock
from queue_app.core.calendar import opening
from queue_app.core.errors import HolidayClosed, OutsideHours, QueueError, ServiceClosed
from queue_app.core.models import Service
from queue_app.core.site import current_site, iso


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
