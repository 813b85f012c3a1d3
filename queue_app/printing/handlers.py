"""Staff endpoints for ticket printing: printer states and job counts, reprint at a counter or by token."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.declare import documented, parse_body
from queue_app.core.database import begin_write
from queue_app.core.extensions import db
from queue_app.core.lookups import get_counter
from queue_app.core.site import today
from queue_app.printing.shapes import Printer, ReprintAtCounter, ReprintBody, Reprinted
from queue_app.queue import operations
from queue_app.queue.errors import TicketNotFound
from queue_app.queue.models import Ticket
from queue_app.queue.read_models import ticket_to_dict
from queue_app.staff.auth import require_counter, staff_required
from queue_app.staff.models import Role


@bp.get("/printers")
@documented("Every printer: last known state, its kiosks, today's jobs by outcome", tags="printing", staff=True,
            responses={200: list[Printer]}, errors=(401, 403))
@staff_required()
def list_printers():
    """Every configured printer: last known state, which kiosks use it, today's jobs by outcome."""
    return jsonify(current_app.extensions["printing"].overview())


@bp.post("/counters/<code>/reprint")
@documented("Print a ticket of this counter again (recorded as a reprinted event)", tags="printing",
            body=ReprintAtCounter, body_required=False, responses={200: Reprinted}, staff=True,
            errors=(400, 401, 403, 404, 413, 422))
@staff_required(Role.clerk, Role.admin)
def reprint_at_counter(code: str):
    """A visitor at the desk lost their slip: reprint by number (default: the counter's current ticket).

    Staff never see a visitor's token, so the ticket is named by its number, and only a ticket this
    counter called today can be reprinted from it.
    """
    data = parse_body(ReprintAtCounter, required=False)
    begin_write()  # reprint writes a ticket event and a print job
    counter = get_counter(code)
    require_counter(counter)
    if data.number is None:
        ticket = counter.current_ticket
    else:
        ticket = db.session.scalar(sa.select(Ticket).where(
            Ticket.number == data.number.strip().upper(), Ticket.service_day == today(),
            Ticket.counter_id == counter.id))
    if ticket is None:
        raise TicketNotFound(f"{counter.name} has no ticket {data.number or '(current)'} today.")
    result = current_app.extensions["printing"].reprint(ticket, data.printer, actor=current_user._get_current_object())
    return jsonify({"ticket": ticket_to_dict(ticket), "print": result})


@bp.post("/tickets/<token>/reprint")
@documented("Print a ticket again by its token (the visitor shows their tracking page at the desk)",
            tags="printing", staff=True, body=ReprintBody, body_required=False, responses={200: Reprinted},
            errors=(400, 401, 403, 404, 413, 422))
@staff_required(Role.clerk, Role.admin)
def reprint_ticket(token: str):
    """Print a visitor's ticket again by its token; recorded as a ``reprinted`` event."""
    printer = parse_body(ReprintBody, required=False).printer
    begin_write()
    ticket = operations.get_ticket_by_token(token)
    result = current_app.extensions["printing"].reprint(ticket, printer, actor=current_user._get_current_object())
    return jsonify({"ticket": ticket_to_dict(ticket), "print": result})
