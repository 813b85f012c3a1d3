"""Public pages (no sign-in): each service's standard, the maklumat, the published survey results, complaints.

``/layanan`` and ``/layanan/<code>``: the Standar Pelayanan (the six components of service delivery; staff who
are signed in see all fourteen). ``/maklumat``: the Maklumat Pelayanan. ``/ikm``: this and last month's IKM per
agency with the follow-up actions (the hall display links it by QR). ``/pengaduan``: the complaint form,
``/pengaduan/<token>``: a complaint's page, ``/pengaduan/poster``: the A4 poster with the form's QR code.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, make_response, render_template
from flask_login import current_user

from queue_app.complaints import operations as complaints
from queue_app.complaints.errors import ComplaintNotFound
from queue_app.core.errors import ServiceNotFound
from queue_app.core.i18n import current_lang
from queue_app.core.lookups import active_services, get_service
from queue_app.core.qr import qr_svg
from queue_app.core.site import current_site
from queue_app.core.siteconfig import COMPONENTS
from queue_app.standards import operations as standards
from queue_app.survey import actions

from . import strings  # noqa: F401  (registers the pages' texts)

bp = Blueprint("public_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/publik/static")

#: the six components of service delivery: what the public pages show everyone
PUBLIC_KEYS = frozenset(c.key for c in COMPONENTS if c.public)
MONTHS = {
    "id": ("", "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def long_date(value: date | str | None) -> str:
    """``10 Desember 2026`` (or ``10 December 2026``) in the page's language."""
    if value is None:
        return ""
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{day.day} {MONTHS[current_lang()][day.month]} {day.year}"


def long_moment(value: str | None) -> str:
    """An ISO moment (already in the site's zone) as ``7 Desember 2026, 09.15``."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    sep = "." if current_lang() == "id" else ":"
    return f"{long_date(moment.date())}, {moment.hour:02d}{sep}{moment.minute:02d}"


def month_label(period: str) -> str:
    year, month = period.split("-")
    return f"{MONTHS[current_lang()][int(month)]} {year}"


def decimal(value: float | None) -> str:
    """``79,72`` in Indonesian, ``79.72`` in English; a dash for no value."""
    if value is None:
        return "—"
    text = f"{value:.2f}"
    return text.replace(".", ",") if current_lang() == "id" else text


@bp.app_template_global("service_label")
def service_label(service: Any) -> str:
    return service.name_en if current_lang() == "en" and service.name_en else service.name


@bp.context_processor
def _helpers() -> dict[str, Any]:
    # links between the pages keep a language chosen other than the site's
    lq = f"?lang={current_lang()}" if current_lang() != current_site().locale else ""
    return {"long_date": long_date, "long_moment": long_moment, "month_label": month_label, "decimal": decimal,
            "lq": lq}


def _page(template: str, status: int = 200, **context: Any) -> Response:
    # no-store like every page: a standard's page shows staff all fourteen components at the same URL
    resp = make_response(render_template(template, **context), status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/layanan")
def services():
    """Every service with a link to its standard, grouped by agency."""
    groups: dict[str, dict[str, Any]] = {}
    for s in active_services():
        group = groups.setdefault(s.agency.code, {"code": s.agency.code, "name": s.agency.name, "services": []})
        group["services"].append({"service": s, "published": bool(standards.values(s.code))})
    return _page("public_pages/services.html", groups=list(groups.values()))


@bp.get("/layanan/<code>")
def standard(code: str):
    """One service's standard: the six components of delivery; signed-in staff see the management ones too."""
    try:
        service = get_service(code)
    except ServiceNotFound:
        return _page("public_pages/missing.html", 404, message_key="publik.service_missing")
    found = standards.components(service.code)
    staff = current_user.is_authenticated
    delivery = [c for c in found if c["key"] in PUBLIC_KEYS]
    management = [c for c in found if c["key"] not in PUBLIC_KEYS] if staff else []
    return _page("public_pages/standard.html", service=service, delivery=delivery, management=management,
                 staff=staff)


@bp.get("/maklumat")
def maklumat():
    """The site's Maklumat Pelayanan."""
    return _page("public_pages/maklumat.html", maklumat=standards.maklumat())


@bp.get("/ikm")
def ikm():
    """This month's and last month's IKM, per agency, with the follow-up actions and their status."""
    return _page("public_pages/ikm.html", data=actions.public_ikm())


@bp.get("/ikm/qr.svg")
def ikm_qr():
    """The QR code of ``/ikm`` (the hall display shows it beside its IKM line)."""
    return Response(qr_svg(f"{current_site().base_url}/ikm"), mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/pengaduan")
def complaint_form():
    """The complaint form; the answer page gives the reference and the link to follow it."""
    services_list = [{"code": s.code, "label": service_label(s), "agency": s.agency.code} for s in active_services()]
    return _page("public_pages/complaint.html", services=services_list)


@bp.get("/pengaduan/qr.svg")
def complaint_qr():
    """The QR code of the complaint form (for the poster)."""
    return Response(qr_svg(f"{current_site().base_url}/pengaduan"), mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/pengaduan/poster")
def complaint_poster():
    """An A4 poster with the complaint form's QR code, for the admin to print and hang in the hall."""
    return _page("public_pages/poster.html", url=f"{current_site().base_url}/pengaduan",
                 days=current_site().complaints_respond_within_days)


@bp.get("/pengaduan/<token>")
def complaint_page(token: str):
    """A complaint as its sender follows it: status, deadline and every answer (no contact details)."""
    try:
        found = complaints.get_by_token(token)
    except ComplaintNotFound:
        return _page("public_pages/missing.html", 404, message_key="publik.complaint_missing")
    view = {**complaints.public_view(found), "overdue": complaints.is_overdue(found)}
    resp = _page("public_pages/complaint_follow.html", c=view)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the token is the URL; never leak it to another site
    return resp
