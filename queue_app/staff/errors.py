"""Who may take a ticket: the refusals of staff.takers (contract: "Who may take a ticket")."""

from __future__ import annotations

from queue_app.core.errors import Forbidden, Unauthorized


class KioskRequired(Unauthorized):
    """Tickets are issued by kiosks (with their key) or staff."""

    code = "kiosk_required"


class KioskUnauthorized(Unauthorized):
    """The request names a kiosk without that kiosk's key."""

    code = "kiosk_unauthorized"


class PriorityNotAllowed(Forbidden):
    """Priority tickets come from a kiosk or staff, never from an anonymous request."""

    code = "priority_not_allowed"
