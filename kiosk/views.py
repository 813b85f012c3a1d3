"""Kiosk screens and the visitor's ticket page."""

from __future__ import annotations

from flask import Blueprint, render_template

from queue_app import engine
from queue_app.errors import TicketNotFound
from queue_app.schemas import ticket_public

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk/static")


@bp.get("/t/<token>")
def ticket_page(token: str):
    """The page the ticket's QR code opens on the visitor's phone."""
    try:
        ticket = engine.get_ticket_by_token(token)
    except TicketNotFound:
        return render_template("kiosk/ticket_missing.html"), 404
    return render_template("kiosk/ticket.html", ticket=ticket_public(ticket), token=token)
