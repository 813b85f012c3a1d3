"""Admin pages for the people who run the building: users, counters, services today, running text, audit.

Plain HTML forms (CSRF token in every form) over :mod:`queue_app.staff.admin`, which writes the audit
entry of each change; no JavaScript needed, so they work on any office PC.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from queue_app.api.declare import parse_form
from queue_app.core.errors import Forbidden, NotFound, QueueError
from queue_app.core.extensions import db
from queue_app.core.i18n import gettext
from queue_app.core.lookups import counters_with_current
from queue_app.core.models import Agency, Counter
from queue_app.core.site import current_site, today
from queue_app.staff import admin
from queue_app.staff import closures as site_closures
from queue_app.staff import notices as display_notices
from queue_app.staff.day_shapes import ClosureRequest, NoticesRequest
from queue_app.staff.models import Role
from queue_app.staff.shapes import CloseReason, CounterCodes, NewPassword, NewRunningText, NewUser

from . import strings  # noqa: F401  (registers the admin pages' texts)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")


def admin_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed-in admins only (others get a 403 page, anonymous users the login page)."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.role is not Role.admin:
            raise Forbidden(text="admin_only")
        return view(*args, **kwargs)

    return wrapped


def _apply(change: Callable[[], Any], back: str) -> Any:
    """Run one admin change and commit; a refused change is shown on the page instead of an error page."""
    try:
        change()
        db.session.commit()
        flash("ok", "ok")
    except QueueError as exc:
        db.session.rollback()
        flash(exc.page_message(), "error")  # in the page's language
    return redirect(back)


def _actor():  # noqa: ANN202
    return current_user._get_current_object()


@bp.get("/")
@admin_page
def home():
    return redirect(url_for("admin.users"))


@bp.get("/users")
@admin_page
def users():
    agencies = db.session.scalars(sa.select(Agency).where(Agency.active).order_by(Agency.code)).all()
    return render_template("admin/users.html", users=admin.list_users(), roles=list(Role),
                           counters=counters_with_current(), agencies=agencies, tab="users")


@bp.post("/users")
@admin_page
def create_user():
    f = request.form

    def change() -> None:
        new = parse_form(NewUser, {"username": f.get("username", ""), "role": f.get("role", ""),
                                   "password": f.get("password", ""), "counters": f.getlist("counters"),
                                   "full_name": f.get("full_name", ""), "agency": f.get("agency") or None})
        admin.create_user(_actor(), new.username, role=new.role, password=new.password, counters=new.counters or [],
                          full_name=new.full_name or "", agency=new.agency)

    return _apply(change, url_for("admin.users"))


@bp.get("/users/<username>")
@admin_page
def user(username: str):
    user = admin.get_user(username)
    return render_template("admin/user.html", user=user, counters=counters_with_current(),
                           assigned={c.code for c in user.counters}, tab="users")


@bp.post("/users/<username>/counters")
@admin_page
def assign(username: str):
    return _apply(lambda: admin.assign_counters(
        _actor(), username, parse_form(CounterCodes, {"counters": request.form.getlist("counters")}).counters or []),
                  url_for("admin.user", username=username))


@bp.post("/users/<username>/password")
@admin_page
def password(username: str):
    return _apply(lambda: admin.reset_password(
        _actor(), username, parse_form(NewPassword, {"password": request.form.get("password", "")}).password),
                  url_for("admin.user", username=username))


@bp.post("/users/<username>/disable")
@admin_page
def disable(username: str):
    return _apply(lambda: admin.set_user_active(_actor(), username, False),
                  url_for("admin.user", username=username))


@bp.post("/users/<username>/enable")
@admin_page
def enable(username: str):
    return _apply(lambda: admin.set_user_active(_actor(), username, True),
                  url_for("admin.user", username=username))


@bp.get("/services")
@admin_page
def services():
    services = [(s, admin.is_closed_today(s)) for s in admin.list_services()]
    return render_template("admin/services.html", services=services, today=today(), tab="services")


@bp.post("/services/<code>/close")
@admin_page
def close(code: str):
    return _apply(lambda: admin.close_service(
        _actor(), code, parse_form(CloseReason, {"reason": request.form.get("reason", "")}).reason),
                  url_for("admin.services"))


@bp.post("/services/<code>/open")
@admin_page
def open(code: str):
    return _apply(lambda: admin.open_service(_actor(), code), url_for("admin.services"))


@bp.route("/closures", methods=["GET", "POST"])
@admin_page
def closures():
    """Days the whole building is closed: the admin's closures (editable) and config.toml's holidays.

    Closing a day that has bookings asks first, saying how many the office would cancel (the form comes back
    with the count and a confirm button); without bookings it closes at once."""
    confirm = None
    if request.method == "POST":
        f = request.form
        try:  # the same shape as the API's: a malformed day or reason is told on the page
            asked = parse_form(ClosureRequest, {"day": f.get("day", ""), "reason": f.get("reason", "")})
        except QueueError as exc:
            flash(exc.page_message(), "error")
            return redirect(url_for("admin.closures"))
        day_text, reason = asked.day, asked.reason
        if f.get("confirm") != "1":
            try:
                affected = site_closures.affected_by_closing(day_text)
            except QueueError as exc:
                flash(exc.page_message(), "error")
                return redirect(url_for("admin.closures"))
            finally:
                db.session.rollback()
            if affected.get("bookings"):
                confirm = {"day": site_closures.parse_day(day_text), "reason": reason, "bookings": affected["bookings"]}
        if confirm is None:
            return _close_day(day_text, reason)
    day = today()
    holidays = [(d, name) for d, name in current_site().holidays.items() if d >= day]
    return render_template("admin/closures.html", closures=site_closures.upcoming_closures(day),
                           holidays=holidays, today=day, tab="closures", confirm=confirm)


def _close_day(day: str, reason: str) -> Any:
    """Close the day and say what it did (how many bookings the office cancelled)."""
    try:
        _, affected = site_closures.close_site(_actor(), day, reason)
        db.session.commit()
    except QueueError as exc:
        db.session.rollback()
        flash(exc.page_message(), "error")
        return redirect(url_for("admin.closures"))
    n = affected.get("bookings", 0)
    flash(gettext("cadmin.closed_with_bookings", n=n) if n else gettext("cadmin.done"), "info")
    return redirect(url_for("admin.closures"))


@bp.post("/closures/<day>/reopen")
@admin_page
def reopen_day(day: str):
    try:
        affected = site_closures.reopen_site(_actor(), day)
        db.session.commit()
    except QueueError as exc:
        db.session.rollback()
        flash(exc.page_message(), "error")
        return redirect(url_for("admin.closures"))
    n = affected.get("bookings", 0)
    flash(gettext("cadmin.reopened_with_bookings", n=n) if n else gettext("cadmin.done"), "info")
    return redirect(url_for("admin.closures"))


@bp.route("/display", methods=["GET", "POST"])
@admin_page
def display():
    if request.method == "POST":
        return _apply(lambda: admin.set_running_text(
            _actor(), parse_form(NewRunningText, {"text": request.form.get("running_text", "")}).text or ""),
                      url_for("admin.display"))
    return render_template("admin/display.html", running_text=admin.running_text(),
                           limit=admin.MAX_RUNNING_TEXT, notices=display_notices.notices(),
                           max_notices=display_notices.MAX_NOTICES, tab="display")


@bp.post("/notices")
@admin_page
def notices():
    """The display's notices: the form sends parallel lists of titles and texts (blank rows are dropped)."""
    items = [{"title": t, "text": x} for t, x in zip(request.form.getlist("title"), request.form.getlist("text"),
                                                      strict=False)]
    return _apply(lambda: display_notices.set_notices(
        _actor(), [n.model_dump() for n in parse_form(NoticesRequest, {"notices": items}).notices]),
        url_for("admin.display"))


@bp.get("/audit")
@admin_page
def audit():
    before = request.args.get("before", type=int)
    rows = admin.audit_entries(limit=100, before_id=before)
    older = rows[-1][0].id if len(rows) == 100 else None
    tz = current_site().tz
    entries = [(e, who, e.at.astimezone(tz).strftime("%d-%m-%Y %H:%M:%S")) for e, who in rows]
    return render_template("admin/audit.html", rows=entries, older=older, tab="audit")


@bp.get("/kiosks")
@admin_page
def kiosks():
    """Each kiosk of config.toml, whether a key exists, and the button that enrols the browser it is opened in."""
    from queue_app.staff import devices

    rows = [(k, devices.has_key("kiosk", k.code)) for k in current_site().kiosks]
    return render_template("admin/kiosks.html", kiosks=rows, tab="kiosks")


@bp.get("/tablets")
@admin_page
def tablets():
    """Each counter's survey tablet: whether a key exists, the button that enrols the browser it is opened in,
    and the one that revokes it (a lost tablet)."""
    from queue_app.staff import devices

    counters = db.session.scalars(sa.select(Counter).where(Counter.active).order_by(Counter.position)).all()
    rows = [(c, devices.has_key("survey", c.code)) for c in counters]
    return render_template("admin/tablets.html", tablets=rows, tab="tablets")


@bp.post("/tablets/<code>/enrol")
@admin_page
def enrol_tablet(code: str):
    """Make this browser counter ``code``'s survey tablet: a new key in a long-lived HttpOnly cookie, and the
    admin signed out here (the tablet faces visitors; it must never hold a staff session)."""
    from queue_app.core.lookups import get_counter
    from queue_app.staff import devices
    from queue_app.staff.auth import end_session

    counter = get_counter(code)
    key = admin.enrol_device(_actor(), "survey", counter.code)
    end_session()
    db.session.commit()
    resp = redirect(url_for("survey_tablet.tablet", code=counter.code))
    resp.set_cookie(devices.COOKIE, devices.cookie_value("survey", counter.code, key),
                    max_age=devices.COOKIE_MAX_AGE, httponly=True, samesite="Strict", secure=request.is_secure,
                    path="/")
    return resp


@bp.post("/tablets/<code>/revoke")
@admin_page
def revoke_tablet(code: str):
    """End counter ``code``'s tablet key: the tablet stops at once (its socket is closed)."""
    from queue_app.core.lookups import get_counter

    counter = get_counter(code)
    return _apply(lambda: admin.revoke_device(_actor(), "survey", counter.code), url_for("admin.tablets"))


@bp.post("/kiosks/<code>/enrol")
@admin_page
def enrol_kiosk(code: str):
    """Make this browser kiosk ``code``: a new key in a long-lived HttpOnly cookie, and the admin signed out
    here (a kiosk PC stands in the public hall; its requests must be the kiosk's, not an admin's)."""
    from queue_app.staff import devices
    from queue_app.staff.auth import end_session

    if current_site().kiosk(code) is None:
        raise NotFound(f'No kiosk "{code}" in config.toml.')
    key = admin.enrol_device(_actor(), "kiosk", code)
    end_session()
    db.session.commit()
    resp = redirect(url_for("kiosk.kiosk_page", code=code))
    resp.set_cookie(devices.COOKIE, devices.cookie_value("kiosk", code, key), max_age=devices.COOKIE_MAX_AGE,
                    httponly=True, samesite="Strict", secure=request.is_secure, path="/")
    return resp
