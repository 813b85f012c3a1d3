"""Kiosk screens: the list of kiosks, the touch screen, and the QR image it shows."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from queue_app.core.i18n import current_lang
from queue_app.core.qr import qr_svg
from queue_app.core.site import current_site
from queue_app.queue import operations
from queue_app.queue.errors import TicketNotFound
from queue_app.queue.read_models import services_public

from . import phone_strings, standard_strings, strings  # noqa: F401  (registers the kiosk texts)
from .guide import guide_for

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk/static")


@bp.get("/kiosk/")
def kiosk_index():
    """The configured kiosks, so whoever sets up a kiosk PC can find its URL."""
    return render_template("kiosk/index.html", kiosks=current_site().kiosks)


@bp.get("/kiosk/<code>")
def kiosk_page(code: str):
    """The touch screen where a visitor takes a number."""
    site = current_site()
    conf = site.kiosk(code)
    if conf is None:
        return render_template("kiosk/kiosk_missing.html", code=code, lang=current_lang()), 404
    settings = {
        "code": conf.code,
        # the browser holds this kiosk's current key (admin/kiosks enrolled it); without it tickets are refused
        "enrolled": _enrolled_as(conf.code),
        "locale": site.locale,
        "timezone": site.timezone,
        "has_printer": conf.printer is not None,
        "idle_seconds": site.kiosk_idle_seconds,
        "confirm_seconds": site.kiosk_confirm_seconds,
        "poll_seconds": 10,
        # the optional phone step (WhatsApp/SMS notices) is offered only when a provider sends them
        "notify": bool(site.notify.provider),
        "retain_days": site.privacy.retain_days,
    }
    services = services_public(conf.code)
    settings["guide"] = guide_for(services)  # the audio guide's words for each tile
    return render_template("kiosk/kiosk.html", kiosk=conf, settings=settings, services=services,
                           lang=current_lang(), public_tickets=site.public_tickets,
                           standards=_standards([s["code"] for s in services]))


def _standards(codes: list[str]) -> dict:
    """The six public components of each service's standard, and every component's names (standard.js)."""
    from queue_app.core.siteconfig import COMPONENTS
    from queue_app.standards.operations import public_standards

    return {"names": {c.key: {"id": c.name, "en": c.name_en, "public": c.public} for c in COMPONENTS},
            "services": public_standards(codes)}


def _enrolled_as(code: str) -> bool:
    from flask import request

    from queue_app.staff import devices

    found = devices.from_cookie(request.cookies.get(devices.COOKIE), "kiosk")
    return found is not None and found[0] == code and devices.check_key("kiosk", *found)


@bp.get("/kiosk/qr/<token>.svg")
def ticket_qr(token: str):
    """The QR code of a ticket's tracking page, drawn on the server so the kiosk needs no QR library."""
    try:
        ticket = operations.get_ticket_by_token(token)
    except TicketNotFound:
        abort(404)
    svg = qr_svg(f"{current_site().base_url}/t/{ticket.token}")
    # private: the image carries the ticket's token; it never changes, so the browser may keep it
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})
