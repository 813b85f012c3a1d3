"""Manager dashboard screens: the live overview and the reports page.

Both are for managers and admins; a manager scoped to one agency gets that agency's figures only,
decided here on the server (the page's data and every API call it makes go through
``staff.auth.scoped_agency``). Unauthenticated visitors are sent to the login page, clerks get 403.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request
from flask_login import current_user
from markupsafe import Markup

from queue_app.api.parsing import MAX_RANGE_DAYS
from queue_app.core.errors import QueueError
from queue_app.core.extensions import db
from queue_app.core.i18n import gettext
from queue_app.core.models import Agency
from queue_app.core.site import today as site_today
from queue_app.staff.auth import scoped_agency
from queue_app.staff.models import Role
from queue_app.stats import figures
from queue_app.stats.dashboard import dashboard_snapshot

from . import notify_strings, route_strings, strings  # noqa: F401  (register the dashboard texts)

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
               static_folder="static")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def lang_url(lang: str) -> str:
        """This page in another language, keeping its query (date range, agency)."""
        args = {k: v for k, v in request.args.items() if k != "lang"}
        args["lang"] = lang
        return request.path + "?" + urlencode(args)

    return {"lang_url": lang_url}


def manager_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Login redirect for visitors, a 403 page for clerks; managers and admins pass."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            target = request.full_path.rstrip("?") if request.query_string else request.path
            return redirect("/login?next=" + quote(target, safe="/"))
        if current_user.role not in (Role.manager, Role.admin):
            return render_template("error.html", code=403, message=gettext("dashboard.managers_only")), 403
        try:
            return view(*args, **kwargs)
        except QueueError as exc:  # bad dates, another agency: a clear page, not a 500
            return render_template("error.html", code=exc.status_code, message=exc.page_message()), exc.status_code

    return wrapped


def _json_block(data: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block ("<" escaped so it cannot close it)."""
    return Markup(json.dumps(data, ensure_ascii=False).replace("<", "\\u003c"))


def _agencies() -> list[Agency]:
    return list(db.session.scalars(sa.select(Agency).where(Agency.active).order_by(Agency.code)))


@bp.get("/")
@manager_page
def index():
    """The live overview; the page re-reads ``/api/stats/dashboard`` whenever the hub says something moved."""
    from .evaluation import complaints_card
    from .ikm import fmt_ikm, ikm_card

    agency_id = scoped_agency()
    snapshot = dashboard_snapshot(agency_id=agency_id)
    return render_template("dashboard/index.html", snapshot=_json_block(snapshot), scope=snapshot["agency"],
                           agency_code=request.args.get("agency", ""), agencies=_agencies(),
                           can_pick_agency=current_user.agency_id is None, ikm=ikm_card(agency_id), fmt_ikm=fmt_ikm,
                           complaints=complaints_card(agency_id), pct=_pct, **_notify_card(agency_id))


def _notify_card(agency_id: int | None) -> dict[str, Any]:
    """The notice form's services (the manager's agency's, or all) and the notices' provider ("" = off)."""
    from queue_app.core.models import Service
    from queue_app.core.site import current_site
    from queue_app.queue.notice import MAX_TEXT

    stmt = sa.select(Service).where(Service.active).order_by(Service.position, Service.code)
    if agency_id is not None:
        stmt = stmt.where(Service.agency_id == agency_id)
    return {"notice_services": list(db.session.scalars(stmt)), "notice_max": MAX_TEXT,
            "notify_provider": current_site().notify.provider}


def report_range() -> tuple[date, date]:
    """The days a report page shows: ``?from=&to=`` or ``?month=``, by default this month so far.

    :raise ValidationFailed: a bad date, or a range over two years.
    """
    from queue_app.api.parsing import date_range
    from queue_app.core.errors import ValidationFailed

    today = site_today()
    if not request.args.get("from") and not request.args.get("month"):
        return today.replace(day=1), today
    first, last = date_range()
    if (last - first).days > MAX_RANGE_DAYS:
        raise ValidationFailed("The range may span at most two years.", field="to")
    return first, last


@bp.get("/reports")
@manager_page
def reports():
    """Tables per agency, service, counter and clerk for a range, with the exports."""
    first, last = report_range()
    agency_id = scoped_agency()
    data = figures.report(first, last, agency_id=agency_id)
    scope = db.session.get(Agency, agency_id) if agency_id is not None else None
    query = f"from={first.isoformat()}&to={last.isoformat()}"
    if request.args.get("agency"):
        query += "&agency=" + quote(request.args["agency"])
    today = site_today()
    prev_month_end = today.replace(day=1) - timedelta(days=1)
    presets = {
        "today": (today, today),
        "week": (today - timedelta(days=today.weekday()), today),
        "month": (today.replace(day=1), today),
        "last_month": (prev_month_end.replace(day=1), prev_month_end),
        "year": (date(today.year, 1, 1), today),
    }
    return render_template(
        "dashboard/reports.html", r=data, first=first, last=last, query=query, scope=scope,
        agencies=_agencies(), agency_code=request.args.get("agency", ""),
        can_pick_agency=current_user.agency_id is None, presets=presets,
        charts=_json_block({"wait_histogram": data["wait_histogram"]}),
        minutes=_minutes, pct=_pct, weekday=_weekday,
    )


def _minutes(seconds: int | None) -> str:
    """``12:05`` (minutes:seconds) for a table cell; an em dash when there is nothing to average."""
    if seconds is None:
        return "—"
    return f"{seconds // 60}:{seconds % 60:02d}"


def _pct(value: float | None) -> str:
    from queue_app.core.formats import percent

    return percent(value, 1)  # "83,3%" (id), "83.3%" (en): as the live dashboard writes it


def _weekday(value: Any) -> str:
    from queue_app.core.i18n import gettext

    if isinstance(value, int):
        return gettext(f"dashboard.weekday_{value}")
    d = date.fromisoformat(value)
    return f"{gettext(f'dashboard.weekday_{d.isoweekday()}')[:3]} {d.day}/{d.month}"
