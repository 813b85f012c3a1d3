"""Staff endpoints for ticket printing: printer states and job counts, reprint by token."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.parsing import field, json_body
from queue_app.core.database import begin_write
from queue_app.queue import operations
from queue_app.queue.read_models import ticket_to_dict
from queue_app.staff.auth import staff_required


@bp.get("/printers")
@staff_required()
def list_printers():
    """Every configured printer: last known state, which kiosks use it, today's jobs by outcome."""
    return jsonify(current_app.extensions["printing"].overview())


@bp.post("/tickets/<token>/reprint")
@staff_required()
def reprint_ticket(token: str):
    """Print a visitor's ticket again (lost or unreadable slip); recorded as a ``reprinted`` event.

    Body (optional): ``{"printer": CODE}``; default: the printer of the kiosk that issued it.
    """
    data = json_body(required=False)
    printer = field(data, "printer", str, required=False)
    begin_write()  # reprint writes a ticket event and a print job
    ticket = operations.get_ticket_by_token(token)
    result = current_app.extensions["printing"].reprint(ticket, printer, actor=current_user._get_current_object())
    return jsonify({"ticket": ticket_to_dict(ticket), "print": result})
