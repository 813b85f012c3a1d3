"""The evaluation pack over HTTP: one workbook per period (the printable page is /dashboard/evaluation)."""

from __future__ import annotations

from flask import Response, request

from queue_app.api import bp
from queue_app.api.declare import Media, documented
from queue_app.api.parsing import RANGE, RANGE_ERRORS, date_range, month_range
from queue_app.core.exports import XLSX_MIME
from queue_app.core.site import today as site_today
from queue_app.staff.auth import scoped_agency, staff_required
from queue_app.staff.models import Role


@bp.get("/stats/evaluation.xlsx")
@staff_required(Role.manager, Role.admin)
@documented("The evaluation pack of a period (default this month): IKM and follow-up, complaints, published "
            "standards, service levels", tags="stats", responses={200: Media(XLSX_MIME, "The evaluation workbook")},
            errors=RANGE_ERRORS, staff=True, query=RANGE)
def stats_evaluation_xlsx():
    if not request.args.get("from") and not request.args.get("month"):
        first, last = month_range(site_today().strftime("%Y-%m"))
    else:
        first, last = date_range()
    from .workbook import evaluation_workbook  # openpyxl only in a process that writes a workbook

    data = evaluation_workbook(first, last, agency_id=scoped_agency())
    filename = f"evaluasi-mpp-{first.isoformat()}-{last.isoformat()}.xlsx"
    return Response(data, mimetype=XLSX_MIME, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
