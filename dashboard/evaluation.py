"""What an MPP is judged on, in the dashboard: the complaints inbox and the printable evaluation pack.

The inbox (``/dashboard/complaints``) lists a manager's agency's complaints (an admin's: all) with their status,
deadline and overdue mark; each opens to its text, contact details, answers and a form that answers it through
``POST /api/complaints/<reference>/responses`` (dashboard/static/complaints.js). The evaluation page
(``/dashboard/evaluation``) is the pack of :mod:`queue_app.evaluation` laid out to print (or save as PDF from
the browser's print dialog); its workbook is ``GET /api/stats/evaluation.xlsx``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request
from flask_login import current_user

from queue_app.complaints import figures as complaint_figures
from queue_app.complaints import operations as complaints
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.models import Agency
from queue_app.core.site import today as site_today
from queue_app.evaluation.pack import pack
from queue_app.staff.auth import scoped_agency

from . import evaluation_strings  # noqa: F401  (registers the texts)
from .ikm import fmt_ikm
from .views import _agencies, _minutes, _pct, bp, manager_page, report_range

INBOX_LIMIT = 200


def complaints_card(agency_id: int | None) -> dict[str, Any]:
    """This month's complaint figures for the live dashboard's card."""
    today = site_today()
    return complaint_figures.figures(today.replace(day=1), today, agency_id=agency_id)


@bp.get("/complaints")
@manager_page
def complaints_page():
    """The inbox: newest first, filtered by status and overdue; each complaint answered in place."""
    agency_id = scoped_agency()
    status = request.args.get("status") or None
    if status is not None and status not in complaints.STATUSES:
        raise ValidationFailed(f'"status" must be one of {", ".join(complaints.STATUSES)}.', field="status")
    overdue = request.args.get("overdue") == "true" or None
    found = complaints.inbox(agency_id=agency_id, status=status, overdue=overdue, limit=INBOX_LIMIT)
    details = [complaints.staff_view(c) for c in found]
    return render_template(
        "dashboard/complaints.html", complaints=details, card=complaints_card(agency_id), status=status,
        overdue=overdue, agencies=_agencies(), agency_code=request.args.get("agency", ""),
        can_pick_agency=current_user.agency_id is None,
        scope=db.session.get(Agency, agency_id) if agency_id is not None else None, pct=_pct,
    )


@bp.get("/evaluation")
@manager_page
def evaluation_page():
    """The evaluation pack of a period (default this month so far), laid out to print."""
    first, last = report_range()
    agency_id = scoped_agency()
    data = pack(first, last, agency_id=agency_id)
    query = f"from={first.isoformat()}&to={last.isoformat()}"
    if request.args.get("agency"):
        query += "&agency=" + request.args["agency"]
    return render_template(
        "dashboard/evaluation.html", d=data, first=first, last=last, query=query, agencies=_agencies(),
        agency_code=request.args.get("agency", ""), can_pick_agency=current_user.agency_id is None,
        scope=db.session.get(Agency, agency_id) if agency_id is not None else None,
        fmt_ikm=fmt_ikm, minutes=_minutes, pct=_pct, day=_day,
    )


def _day(value: date | str | None) -> str:
    if value is None:
        return "—"
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day:02d}-{day.month:02d}-{day.year}"
