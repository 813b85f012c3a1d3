"""The satisfaction survey in the dashboard: the IKM card of the live page and the IKM report page.

Figures come from :mod:`queue_app.survey` (the same functions as ``GET /api/stats/ikm``), scoped by
``staff.auth.scoped_agency`` like every other dashboard figure. Comments are shown to managers and admins
only; clerks never reach these pages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request

from queue_app.core.extensions import db
from queue_app.core.formats import month_name, number
from queue_app.core.i18n import current_lang
from queue_app.core.models import Agency
from queue_app.core.site import today as site_today
from queue_app.staff.auth import scoped_agency
from queue_app.survey import actions, operations, report
from queue_app.survey.questionnaire import UNSUR

from .views import _agencies, bp, manager_page, report_range

COMMENTS_SHOWN = 50


def ikm_card(agency_id: int | None) -> dict[str, Any]:
    """Today's and this month's IKM (and this month's per agency) for the live dashboard's card."""
    today = site_today()
    first = today.replace(day=1)
    return {
        "today": operations.ikm(today, today, agency_id=agency_id),
        "month": operations.ikm(first, today, agency_id=agency_id),
        "agencies": report.by_agency(first, today, agency_id=agency_id),
    }


def fmt_ikm(value: float | None) -> str:
    """``79,72`` (id) or ``79.72`` (en): two decimals as published; a dash when there is no answer."""
    return "—" if value is None else number(operations.round2(value), 2)


def fmt_nrr(value: float | None, places: int = 2) -> str:
    return number(value, places)


def month_label(value: str) -> str:
    """``2026-08`` as ``Agu 2026`` (id) or ``Aug 2026`` (en)."""
    year, month = value.split("-")
    return f"{month_name(int(month), current_lang(), short=True)} {year}"


@bp.get("/ikm")
@manager_page
def ikm_page():
    """The IKM report: element table, grade, sample against the minimum, profile, comments, monthly trend."""
    first, last = report_range()
    agency_id = scoped_agency()
    data = operations.ikm(first, last, agency_id=agency_id)
    # the trend covers the twelve months up to the range's end, whatever the range
    trend_first = date(last.year - 1, last.month, 1) if last.month < 12 else date(last.year, 1, 1)
    query = f"from={first.isoformat()}&to={last.isoformat()}"
    if request.args.get("agency"):
        query += "&agency=" + request.args["agency"]
    return render_template(
        "dashboard/ikm.html", d=data, first=first, last=last, query=query,
        scope=db.session.get(Agency, agency_id) if agency_id is not None else None,
        agencies=_agencies(), agency_code=request.args.get("agency", ""),
        can_pick_agency=_may_pick(),
        per_agency=report.by_agency(first, last, agency_id=agency_id),
        trend=report.by_month(trend_first, last, agency_id=agency_id),
        profile=report.profile(first, last, agency_id=agency_id),
        comments=report.responses(first, last, agency_id=agency_id, comments_only=True, limit=COMMENTS_SHOWN),
        fmt_ikm=fmt_ikm, fmt_nrr=fmt_nrr, month_label=month_label,
        # the follow-up (rencana tindak lanjut) beside the figures it follows up
        plan=actions.actions_view(actions.list_actions(periods=actions.periods_of(first, last), agency_id=agency_id)),
        weakest=actions.weakest(data), unsur=[(u.code, u.name["id"]) for u in UNSUR],
        default_period=last.strftime("%Y-%m"),
    )


def _may_pick() -> bool:
    from flask_login import current_user

    return current_user.agency_id is None
