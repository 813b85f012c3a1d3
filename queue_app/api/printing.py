"""Staff endpoints for ticket printing: printer states and job counts, reprint by token."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.declare import documented, parse_body
from queue_app.api.shapes.printing import Printer, ReprintBody, Reprinted
from queue_app.core.database import begin_write
from queue_app.queue import operations
from queue_app.queue.read_models import ticket_to_dict
from queue_app.staff.auth import staff_required


@bp.get("/printers")
@documented("Every printer: last known state, its kiosks, today's jobs by outcome", tags="printing", staff=True,
            responses={200: list[Printer]}, errors=(401, 403))
@staff_required()
def list_printers():
    """Every configured printer: last known state, which kiosks use it, today's jobs by outcome."""
    return jsonify(current_app.extensions["printing"].overview())


@bp.post("/tickets/<token>/reprint")
@documented("Print a ticket again (recorded as a reprinted event)", tags="printing", staff=True,
            body=ReprintBody, body_required=False, responses={200: Reprinted}, errors=(400, 401, 403, 404, 413, 422))
@staff_required()
def reprint_ticket(token: str):
    """Print a visitor's ticket again (lost or unreadable slip); recorded as a ``reprinted`` event.

    Body (optional): ``{"printer": CODE}``; default: the printer of the kiosk that issued it.
    """
    printer = parse_body(ReprintBody, required=False).printer
    begin_write()  # reprint writes a ticket event and a print job
    ticket = operations.get_ticket_by_token(token)
    result = current_app.extensions["printing"].reprint(ticket, printer, actor=current_user._get_current_object())
    return jsonify({"ticket": ticket_to_dict(ticket), "print": result})
