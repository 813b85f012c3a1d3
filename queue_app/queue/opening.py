"""Whether a service takes tickets right now, and if not, why (the code of the 409 the kiosk shows)."""

from __future__ import annotations

from datetime import datetime

from queue_app.core import clock
from queue_app.core.errors import OutsideHours, ServiceClosed
from queue_app.core.models import Service
from queue_app.core.site import current_site


def service_open_reason(service: Service, *, now: datetime | None = None) -> str | None:
    """Why the service takes no tickets now (code of the error), or None when it is open."""
    now = now or clock.utcnow()
    if not service.active:
        return ServiceClosed.code
    if service.closed_on == clock.local_day(current_site().tz, now):
        return ServiceClosed.code
    if service.hours_start and service.hours_end:
        local = now.astimezone(current_site().tz).time()
        if not service.hours_start <= local < service.hours_end:
            return OutsideHours.code
    return None
