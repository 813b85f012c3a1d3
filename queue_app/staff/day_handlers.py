"""Admin JSON endpoints for the building's closed days and the displays' notices (as on the admin pages).

Thin handlers over :mod:`queue_app.staff.closures` and :mod:`queue_app.staff.notices`, which write the
audit entry of each change and tell the displays.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.declare import documented, parse_body
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.models import SiteClosure
from queue_app.core.site import current_site, iso
from queue_app.staff import closures, notices
from queue_app.staff.auth import staff_required
from queue_app.staff.day_shapes import (
    ClosedDays,
    ClosureImpact,
    ClosureMade,
    ClosureRequest,
    Notices,
    NoticesRequest,
    Reopened,
)
from queue_app.staff.models import Role


def closure_dict(row: SiteClosure) -> dict[str, Any]:
    return {"day": row.day.isoformat(), "reason": row.reason, "created_at": iso(row.created_at)}


@bp.get("/admin/closures")
@documented("Closed days: the admin's closures from today on and config.toml's holidays", tags="admin", staff=True,
            responses={200: ClosedDays}, errors=(401, 403))
@staff_required(Role.admin)
def admin_closures():
    """``{"closures": [{"day", "reason", "created_at"}], "holidays": [{"day", "name"}]}``, soonest first."""
    from queue_app.core.site import today

    day = today()
    holidays = [{"day": d.isoformat(), "name": n} for d, n in current_site().holidays.items() if d >= day]
    return jsonify({"closures": [closure_dict(c) for c in closures.upcoming_closures(day)], "holidays": holidays})


@bp.post("/admin/closures")
@documented("Close the whole site on a day (acts like a holiday named by the reason)", tags="admin",
            body=ClosureRequest, responses={201: ClosureMade}, staff=True, errors=(400, 401, 403, 422))
@staff_required(Role.admin)
def admin_close_day():
    data = parse_body(ClosureRequest)
    row, affected = closures.close_site(current_user._get_current_object(), data.day, data.reason)
    body = {**closure_dict(row), "affected": affected}
    db.session.commit()
    return jsonify(body), 201


@bp.get("/admin/closures/<day>/affected")
@documented("What closing a day would affect (bookings cancelled by the office), before confirming", tags="admin",
            staff=True, responses={200: ClosureImpact}, errors=(401, 403, 422))
@staff_required(Role.admin)
def admin_closure_impact(day: str):
    return jsonify({"day": closures.parse_day(day).isoformat(), "affected": closures.affected_by_closing(day)})


@bp.delete("/admin/closures/<day>")
@documented("Open a closed day again", tags="admin", staff=True, responses={200: Reopened},
            errors=(401, 403, 404))
@staff_required(Role.admin)
def admin_reopen_day(day: str):
    try:
        when = closures.parse_day(day)
    except ValidationFailed:  # a path that names no day names no closure either
        raise closures.ClosureNotFound(f'No closed day "{day}".') from None
    affected = closures.reopen_site(current_user._get_current_object(), when)
    db.session.commit()
    return jsonify({"day": day, "closed": False, "affected": affected})


@bp.get("/admin/notices")
@documented("The hall displays' notices", tags="admin", staff=True, responses={200: Notices}, errors=(401, 403))
@staff_required(Role.admin)
def admin_get_notices():
    return jsonify({"notices": notices.notices()})


@bp.put("/admin/notices")
@documented("Replace the hall displays' notices; displays update live", tags="admin", body=NoticesRequest,
            responses={200: Notices}, staff=True, errors=(400, 401, 403, 422))
@staff_required(Role.admin)
def admin_set_notices():
    data = parse_body(NoticesRequest)
    items = notices.set_notices(current_user._get_current_object(), [n.model_dump() for n in data.notices])
    db.session.commit()
    return jsonify({"notices": items})
