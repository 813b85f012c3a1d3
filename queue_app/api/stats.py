"""Statistics for managers: the summary and the per-ticket CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, jsonify, request
from flask_login import current_user

from .. import engine, stats
from ..auth import staff_required
from ..errors import ValidationFailed
from ..models import Role
from . import bp
from .parsing import date_arg


def _range() -> tuple[date, date]:
    today = engine.today()
    first = date_arg("from", today)
    last = date_arg("to", first if request.args.get("from") else today)
    if last < first:
        raise ValidationFailed('"to" must not be before "from".', field="to")
    if (last - first).days > 366 * 2:
        raise ValidationFailed("The range may span at most two years.", field="to")
    return first, last


@bp.get("/stats/summary")
@staff_required(Role.manager, Role.admin)
def stats_summary():
    """Counts, waits and service times per service for a range of local days."""
    first, last = _range()
    return jsonify(stats.summary(first, last, agency_id=_scoped_agency()))


@bp.get("/stats/export.csv")
@staff_required(Role.manager, Role.admin)
def stats_export():
    """One CSV row per ticket with every timestamp."""
    first, last = _range()
    buf = io.StringIO()
    writer = csv.writer(buf)
    rows = stats.export_rows(first, last, agency_id=_scoped_agency())
    writer.writerow(stats.EXPORT_COLUMNS)
    writer.writerows(rows)
    filename = f"antrean-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _scoped_agency() -> int | None:
    """A manager scoped to one agency sees only that agency."""
    return current_user.agency_id if current_user.role is Role.manager else None
