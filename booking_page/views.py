"""The booking page on a visitor's phone, the manage (cancel) page of one booking, the booking's QR code, and
the page for joining today's line from afar (/antre: docs/remote.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, make_response, render_template

from queue_app.booking import operations
from queue_app.booking.errors import BookingNotFound
from queue_app.core.calendar import holiday_name, open_ranges
from queue_app.core.qr import qr_svg
from queue_app.core.site import current_site, today
from queue_app.queue.read_models import services_public
from queue_app.standards.operations import components

from . import remote_strings, strings  # noqa: F401  (register the pages' texts)

bp = Blueprint("booking_page", __name__, template_folder="templates", static_folder="static",
               static_url_path="/booking/static")


def bookable_services() -> list[dict[str, Any]]:
    """Services that take bookings, with their agency, the site's questions and the days that can be booked."""
    site = current_site()
    out = []
    for service in services_public():
        conf = site.service(service["code"])
        if conf is None or conf.booking is None:
            continue
        days = [today() + timedelta(days=n) for n in range(conf.booking.days_ahead)]
        out.append({
            "code": service["code"], "name": service["name"], "name_en": service.get("name_en") or "",
            "agency": service["agency"], "agency_name": service.get("agency_name", service["agency"]),
            "ask_name": conf.booking.ask_name, "ask_phone": conf.booking.ask_phone,
            "requirements": conf.booking.requirements,
            "days": [d.isoformat() for d in days if holiday_name(d) is None and open_ranges(conf.code, d)],
        })
    return out


@bp.get("/booking")
def booking_page():
    """Phone-first: service, day, slot with places left, then the code in large type with its QR."""
    services = bookable_services()
    standards = {s["code"]: components(s["code"], public_only=True) for s in services}
    resp = make_response(render_template("booking_page/booking.html", services=services,
                                         standards={k: v for k, v in standards.items() if v}))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/booking/manage/<token>")
def manage_page(token: str):
    """The manage link: the booking, its code and QR, and a cancel button."""
    try:
        booking = operations.get_by_token(token)
    except BookingNotFound:
        return render_template("booking_page/missing.html"), 404
    resp = make_response(render_template("booking_page/manage.html", booking=operations.booking_view(booking)))
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the token is the URL; never leak it to another site
    return resp


@bp.get("/booking/qr/<token>.svg")
def booking_qr(token: str):
    """The booking's QR code: it holds the code itself, so a kiosk's scanner types it and Enter."""
    try:
        booking = operations.get_by_token(token)
    except BookingNotFound:
        abort(404)
    return Response(qr_svg(booking.code), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=86400"})


@bp.get("/antre")
def remote_page():
    """Phone-first: today's services that can be joined from afar, their wait and places left, then the live
    ticket page with the check-in code."""
    services = [s for s in services_public() if s["remote"] is not None]
    resp = make_response(render_template("booking_page/remote.html", services=services))
    resp.headers["Cache-Control"] = "no-store"
    return resp
