"""The queue's refusals: what a ticket or counter action may answer besides the shared errors of core."""

from __future__ import annotations

from queue_app.core.errors import NotFound, QueueError


class TicketNotFound(NotFound):
    """No such ticket."""

    code = "ticket_not_found"


class ZoneNotFound(NotFound):
    """No such zone."""

    code = "zone_not_found"


class ServiceClosed(QueueError):
    """The service is not taking tickets now."""

    code = "service_closed"


class OutsideHours(QueueError):
    """The service only issues tickets inside its opening hours."""

    code = "outside_hours"


class HolidayClosed(QueueError):
    """The building is closed for a holiday today."""

    code = "holiday"


class QuotaReached(QueueError):
    """Today's quota for this service has been reached."""

    code = "quota_reached"


class CounterBusy(QueueError):
    """The counter still has an open ticket; finish it first."""

    code = "counter_busy"


class CounterPaused(QueueError):
    """The counter is paused; resume it first."""

    code = "counter_paused"


class IdempotencyConflict(QueueError):
    """This Idempotency-Key was already used for a different action."""

    status_code, code = 422, "idempotency_conflict"


class NotWaiting(QueueError):
    """The ticket is not waiting any more (called, being served or finished)."""

    code = "not_waiting"


class RemoteNotOffered(QueueError):
    """This service cannot be joined from afar."""

    code = "remote_not_offered"


class RemoteQuotaFull(QueueError):
    """Today's places for joining this service from afar are taken."""

    code = "remote_quota_full"
