"""A ticket's phone number (``Ticket.phone``: joining from afar, the kiosk's keypad, the notices).

Registered here rather than next to the model: the queue sits below this package, so it cannot import the
registry; this package may import the queue.
"""

from __future__ import annotations

import sqlalchemy as sa

from queue_app.core.models import Service
from queue_app.queue.models import Ticket

from .registry import PersonalData, register

register(PersonalData(
    name="ticket_phone", label="privacy.kind_ticket_phone", key=Ticket.id,
    phone=Ticket.phone, since=Ticket.service_day, erase=(Ticket.phone,),
    show=(Ticket.number, sa.select(Service.code).where(Service.id == Ticket.service_id).scalar_subquery()
          .label("service"), Ticket.service_day, Ticket.status, Ticket.phone, Ticket.issued_at),
))
