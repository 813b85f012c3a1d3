"""Statistics for managers: summary, report tables, live dashboard snapshot and the exports.

A manager scoped to one agency (``User.agency_id``) only ever gets that agency's figures; an admin
or an unscoped manager may narrow to one agency with ``?agency=CODE``.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa
from flask import Response, jsonify, request, stream_with_context
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.declare import Media, documented
from queue_app.api.parsing import date_arg
from queue_app.api.shapes.stats import Dashboard, Report, Summary
from queue_app.core.errors import Forbidden, NotFound, ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.models import Agency
from queue_app.core.site import today as site_today
from queue_app.staff.auth import staff_required
from queue_app.staff.models import Role
from queue_app.stats import figures
from queue_app.stats.dashboard import dashboard_snapshot
from queue_app.stats.export import EXPORT_COLUMNS, export_rows

MAX_RANGE_DAYS = 366 * 2
DATE = {"type": "string", "format": "date"}
AGENCY = {"agency": ({"type": "string"}, False,
                     "one agency's code (admins, unscoped managers; a scoped manager asking for another gets 403)")}
RANGE = {
    "from": (DATE, False, "first local day (default: today)"),
    "to": (DATE, False, "last local day, at most two years after from (default: from, or today)"),
    "month": ({"type": "string", "pattern": "^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"}, False,
              "a whole month like 2026-11, instead of from/to"),
    **AGENCY,
}
RANGE_ERRORS = (401, 403, 404, 422)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _range() -> tuple[date, date]:
    today = site_today()
    month = request.args.get("month")
    if month and not request.args.get("from"):
        return month_range(month)
    first = date_arg("from", today)
    last = date_arg("to", first if request.args.get("from") else today)
    if last < first:
        raise ValidationFailed('"to" must not be before "from".', field="to")
    if (last - first).days > MAX_RANGE_DAYS:
        raise ValidationFailed("The range may span at most two years.", field="to")
    return first, last


def month_range(value: str) -> tuple[date, date]:
    """``2026-11`` → (1 Nov, 30 Nov). :raise ValidationFailed:"""
    try:
        year, mon = (int(x) for x in value.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise ValidationFailed('"month" must look like 2026-11.', field="month") from None
    return first, date(year, mon, calendar.monthrange(year, mon)[1])


def scoped_agency() -> int | None:
    """The agency whose figures this user may see: a scoped manager's own, or ``?agency=`` if allowed.

    :raise Forbidden: a scoped manager asked for another agency.
    :raise NotFound: unknown agency code.
    """
    own = current_user.agency_id if current_user.role is Role.manager else None
    code = request.args.get("agency")
    if not code:
        return own
    agency_id = db.session.scalar(sa.select(Agency.id).where(Agency.code == code))
    if agency_id is None:
        raise NotFound(f'No agency with code "{code}".')
    if own is not None and agency_id != own:
        raise Forbidden("You may only see your own agency.")
    return agency_id


@bp.get("/stats/summary")
@documented("Figures per service and in total for a range of local days", tags="stats", staff=True,
            query=RANGE, responses={200: Summary}, errors=RANGE_ERRORS)
@staff_required(Role.manager, Role.admin)
def stats_summary():
    """Counts, waits and service times per service for a range of local days."""
    first, last = _range()
    return jsonify(figures.summary(first, last, agency_id=scoped_agency()))


@bp.get("/stats/report")
@documented("Figures per agency, service, counter and clerk, wait histogram, heat map", tags="stats",
            staff=True, query=RANGE, responses={200: Report}, errors=RANGE_ERRORS)
@staff_required(Role.manager, Role.admin)
def stats_report():
    """Tables per agency, service, counter and clerk plus the range's charts (the reports page)."""
    first, last = _range()
    return jsonify(figures.report(first, last, agency_id=scoped_agency()))


@bp.get("/stats/dashboard")
@documented("The live dashboard's snapshot: queues, counters, today's figures, charts", tags="stats",
            staff=True, query=AGENCY, responses={200: Dashboard}, errors=(401, 403, 404))
@staff_required(Role.manager, Role.admin)
def stats_dashboard():
    """The live dashboard's snapshot: queues, counters, today's figures and charts."""
    return jsonify(dashboard_snapshot(agency_id=scoped_agency()))


@bp.get("/stats/export.csv")
@documented("One CSV row per ticket with every timestamp", tags="stats", staff=True, query=RANGE,
            responses={200: Media("text/csv", "CSV, one row per ticket")}, errors=RANGE_ERRORS)
@staff_required(Role.manager, Role.admin)
def stats_export():
    """One CSV row per ticket with every timestamp, streamed."""
    first, last = _range()
    agency_id = scoped_agency()

    def generate() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(EXPORT_COLUMNS)
        for i, row in enumerate(export_rows(first, last, agency_id=agency_id)):
            writer.writerow(row)
            if i % 1000 == 999:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    filename = f"antrean-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/stats/export.xlsx")
@documented("Monthly recap workbook in Bahasa Indonesia (default: this month)", tags="stats", staff=True,
            query=RANGE, responses={200: Media(XLSX, "Excel workbook")}, errors=RANGE_ERRORS)
@staff_required(Role.manager, Role.admin)
def stats_export_xlsx():
    """The monthly recap as an Excel workbook (Bahasa Indonesia), default the current month."""
    if not request.args.get("from") and not request.args.get("month"):
        first, last = month_range(site_today().strftime("%Y-%m"))
    else:
        first, last = _range()
    from queue_app.stats import workbooks  # openpyxl (5 MB) only in a process that writes a workbook

    data = workbooks.recap_workbook(first, last, agency_id=scoped_agency())
    filename = f"rekap-antrean-{first.isoformat()}-{last.isoformat()}.xlsx"
    return Response(data, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
