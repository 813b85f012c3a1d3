"""Kiosk screens and the visitor's ticket page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from queue_app import engine
from queue_app.errors import TicketNotFound
from queue_app.i18n import current_lang
from queue_app.schemas import services_public, ticket_public

from . import strings  # noqa: F401  (registers the kiosk texts)
from .qr import qr_svg

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk/static")


@bp.get("/kiosk/")
def kiosk_index():
    """The configured kiosks, so whoever sets up a kiosk PC can find its URL."""
    return render_template("kiosk/index.html", kiosks=engine.site().kiosks)


@bp.get("/kiosk/<code>")
def kiosk_page(code: str):
    """The touch screen where a visitor takes a number."""
    site = engine.site()
    conf = site.kiosk(code)
    if conf is None:
        return render_template("kiosk/kiosk_missing.html", code=code, lang=current_lang()), 404
    settings = {
        "code": conf.code,
        "locale": site.locale,
        "timezone": site.timezone,
        "has_printer": conf.printer is not None,
        "idle_seconds": site.kiosk_idle_seconds,
        "confirm_seconds": site.kiosk_confirm_seconds,
        "poll_seconds": 10,
    }
    services = services_public(conf.code)
    return render_template("kiosk/kiosk.html", kiosk=conf, settings=settings, services=services,
                           lang=current_lang())


@bp.get("/kiosk/qr/<token>.svg")
def ticket_qr(token: str):
    """The QR code of a ticket's tracking page, drawn on the server so the kiosk needs no QR library."""
    try:
        ticket = engine.get_ticket_by_token(token)
    except TicketNotFound:
        abort(404)
    svg = qr_svg(f"{engine.site().base_url}/t/{ticket.token}")
    # private: the image carries the ticket's token; it never changes, so the browser may keep it
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})


@bp.get("/t/<token>")
def ticket_page(token: str):
    """The page the ticket's QR code opens on the visitor's phone."""
    from flask import make_response

    try:
        ticket = engine.get_ticket_by_token(token)
    except TicketNotFound:
        return render_template("kiosk/ticket_missing.html"), 404
    resp = make_response(render_template("kiosk/ticket.html", ticket=ticket_public(ticket), token=token))
    resp.headers["Cache-Control"] = "no-store"  # a phone reopening the tab must not show a stale status
    resp.headers["Referrer-Policy"] = "no-referrer"  # the token is the URL; never leak it to another site
    return resp
