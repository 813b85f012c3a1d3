"""The visitor's live ticket page: what a ticket's QR code opens on a phone."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template
from markupsafe import Markup

from queue_app.core.i18n import current_lang
from queue_app.core.qr import qr_svg
from queue_app.queue import operations
from queue_app.queue.errors import TicketNotFound
from queue_app.queue.read_models import ticket_public
from queue_app.standards.operations import components
from queue_app.survey.questionnaire import screen_data

from . import complaint_strings, route_strings, strings  # noqa: F401  (register the page's texts)

bp = Blueprint("visitor", __name__, template_folder="templates", static_folder="static",
               static_url_path="/visitor/static")


@bp.get("/t/<token>")
def ticket_page(token: str):
    """The page the ticket's QR code opens on the visitor's phone."""
    try:
        ticket = operations.get_ticket_by_token(token)
    except TicketNotFound:
        return render_template("visitor/ticket_missing.html"), 404
    view = ticket_public(ticket)
    # joined from afar: the check-in code as a QR the kiosk's scanner reads (our own SVG: no markup from input)
    code_qr = Markup(qr_svg(ticket.checkin_code)) if ticket.checkin_code else None  # noqa: S704
    resp = make_response(render_template("visitor/ticket.html", ticket=view, token=token, code_qr=code_qr,
                                         survey_data=screen_data(current_lang()),
                                         standard=components(view["service"], public_only=True)))
    resp.headers["Cache-Control"] = "no-store"  # a phone reopening the tab must not show a stale status
    resp.headers["Referrer-Policy"] = "no-referrer"  # the token is the URL; never leak it to another site
    return resp
