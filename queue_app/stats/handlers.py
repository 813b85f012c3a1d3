"""Statistics for managers: summary, report tables, live dashboard snapshot and the exports.

A manager scoped to one agency (``User.agency_id``) only ever gets that agency's figures; an admin
or an unscoped manager may narrow to one agency with ``?agency=CODE``.
"""

from __future__ import annotations

from flask import Response, jsonify, request, stream_with_context

from queue_app.api import bp
from queue_app.api.declare import Media, documented
from queue_app.api.parsing import AGENCY, RANGE, RANGE_ERRORS, date_range, month_range
from queue_app.core.exports import XLSX_MIME, csv_chunks
from queue_app.core.site import today as site_today
from queue_app.staff.auth import scoped_agency, staff_required
from queue_app.staff.models import Role
from queue_app.stats import figures
from queue_app.stats.dashboard import dashboard_snapshot
from queue_app.stats.export import EXPORT_COLUMNS, export_rows
from queue_app.stats.shapes import Dashboard, Report, Summary


@bp.get("/stats/summary")
@documented("Figures per service and in total for a range of local days", tags="stats", staff=True,
            query=RANGE, responses={200: Summary}, errors=RANGE_ERRORS)
@staff_required(Role.manager, Role.admin)
def stats_summary():
    """Counts, waits and service times per service for a range of local days."""
    first, last = date_range()
    return jsonify(figures.summary(first, last, agency_id=scoped_agency()))


@bp.get("/stats/report")
@documented("Figures per agency, service, counter and clerk, wait histogram, heat map", tags="stats",
            staff=True, query=RANGE, responses={200: Report}, errors=RANGE_ERRORS)
@staff_required(Role.manager, Role.admin)
def stats_report():
    """Tables per agency, service, counter and clerk plus the range's charts (the reports page)."""
    first, last = date_range()
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
    first, last = date_range()
    agency_id = scoped_agency()

    rows = csv_chunks(EXPORT_COLUMNS, export_rows(first, last, agency_id=agency_id))
    filename = f"antrean-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(stream_with_context(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/stats/export.xlsx")
@documented("Monthly recap workbook in Bahasa Indonesia (default: this month)", tags="stats", staff=True,
            query=RANGE, responses={200: Media(XLSX_MIME, "Excel workbook")}, errors=RANGE_ERRORS)
@staff_required(Role.manager, Role.admin)
def stats_export_xlsx():
    """The monthly recap as an Excel workbook (Bahasa Indonesia), default the current month."""
    if not request.args.get("from") and not request.args.get("month"):
        first, last = month_range(site_today().strftime("%Y-%m"))
    else:
        first, last = date_range()
    from queue_app.stats import workbooks  # openpyxl (5 MB) only in a process that writes a workbook

    data = workbooks.recap_workbook(first, last, agency_id=scoped_agency())
    filename = f"rekap-antrean-{first.isoformat()}-{last.isoformat()}.xlsx"
    return Response(data, mimetype=XLSX_MIME,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
