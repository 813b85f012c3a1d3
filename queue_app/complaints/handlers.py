"""Complaints over HTTP: anyone sends one and follows it on its link; managers (their agency) and admins answer.

``GET /api/complaints/<token>`` is the visitor's (a token is 32 characters of random); the staff address a
complaint by its reference (``ADU-2612-0042``), under ``/api/complaints/<reference>/responses``.
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.declare import documented, parse_body
from queue_app.api.parsing import RANGE, RANGE_ERRORS, date_range
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.i18n import current_lang
from queue_app.core.limits import hit
from queue_app.staff.auth import scoped_agency, staff_required
from queue_app.staff.models import Role

from . import figures, operations
from .errors import InvalidPhone
from .shapes import (
    ComplaintCreated,
    ComplaintDetail,
    ComplaintFigures,
    ComplaintItem,
    ComplaintPublic,
    NewComplaint,
    NewResponse,
)

LIMIT_MESSAGE = "Too many complaints from this address; try again later."


def _limit_address() -> None:
    """At most ``RATELIMIT_COMPLAINTS_PER_ADDRESS`` complaints an hour from one address (0 = no limit)."""
    per_hour = current_app.config.get("RATELIMIT_COMPLAINTS_PER_ADDRESS", 0)
    hit("complaints-address", per_hour, request.remote_addr or "?", message=LIMIT_MESSAGE, seconds=3600)


@bp.post("/complaints")
@documented("Send a complaint (pengaduan); anonymous allowed. It goes to the agency of its service (or of its "
            "ticket's service)", tags="complaints", body=NewComplaint, responses={201: ComplaintCreated},
            errors=(400, 404, 413, 422, 429))
def complaint_create():
    try:
        data = parse_body(NewComplaint)
    except ValidationFailed as exc:  # a phone in none of the accepted forms: the contract's own code
        if exc.details.get("field") == "phone":
            raise InvalidPhone(field="phone") from None
        raise
    _limit_address()
    complaint = operations.receive(data.text, service=data.service or None, ticket=data.ticket or None,
                                   name=data.name, phone=data.phone, email=data.email, lang=current_lang())
    body = operations.created_view(complaint)
    db.session.commit()
    return jsonify(body), 201


@bp.get("/complaints/<token>")
@documented("A complaint as its link shows it, with every answer", tags="complaints",
            responses={200: ComplaintPublic}, errors=(404,))
def complaint_public(token: str):
    return jsonify(operations.public_view(operations.get_by_token(token)))


INBOX_QUERY = {
    "status": ({"type": "string", "enum": list(operations.STATUSES)}, False, "only complaints of this status"),
    "agency": ({"type": "string"}, False, "one agency's code (a scoped manager: only their own)"),
    "overdue": ({"type": "string", "enum": ["true", "false"]}, False,
                "true: only those not resolved and past their deadline; false: only the others"),
    "limit": ({"type": "integer", "minimum": 1, "maximum": 1000}, False, "at most this many, newest first (200)"),
}


def _inbox_args() -> dict:
    """The inbox's filters from the query. :raise ValidationFailed:"""
    args = request.args
    # a parameter given empty is given, and wrong: only an absent one means "any"
    status = args.get("status")
    if status is not None and status not in operations.STATUSES:
        raise ValidationFailed(f'"status" must be one of {", ".join(operations.STATUSES)}.', field="status")
    overdue_arg = args.get("overdue")
    if overdue_arg is not None and overdue_arg not in ("true", "false"):
        raise ValidationFailed('"overdue" must be "true" or "false".', field="overdue")
    limit_arg = args.get("limit", "200")
    if not limit_arg.isdigit() or not 1 <= int(limit_arg) <= 1000:
        raise ValidationFailed('"limit" must be a whole number from 1 to 1000.', field="limit")
    return {"status": status, "overdue": None if overdue_arg is None else overdue_arg == "true",
            "limit": int(limit_arg)}


@bp.get("/complaints")
@documented("The complaints inbox, newest first: a manager sees their agency's, an admin all", tags="complaints",
            responses={200: list[ComplaintItem]}, errors=(401, 403, 404, 422), staff=True, query=INBOX_QUERY)
@staff_required(Role.manager, Role.admin)
def complaint_inbox():
    filters = _inbox_args()
    found = operations.inbox(agency_id=scoped_agency(), **filters)
    return jsonify(operations.inbox_items(found))


@bp.get("/complaints/<reference>/responses")
@documented("One complaint for the staff who handle it: the contact details given and every answer",
            tags="complaints", responses={200: ComplaintDetail}, errors=(401, 403, 404), staff=True)
@staff_required(Role.manager, Role.admin)
def complaint_detail(reference: str):
    complaint = operations.get_by_reference(reference)
    operations.require_scope(current_user, complaint)
    return jsonify(operations.staff_view(complaint))


@bp.post("/complaints/<reference>/responses")
@documented("Answer a complaint (the visitor sees it on their link); optionally set its status and its "
            "SP4N-LAPOR! number", tags="complaints", body=NewResponse, responses={201: ComplaintDetail},
            errors=(400, 401, 403, 404, 413, 422), staff=True)
@staff_required(Role.manager, Role.admin)
def complaint_respond(reference: str):
    data = parse_body(NewResponse)
    response = operations.respond(current_user._get_current_object(), reference, data.text, status=data.status,
                                  lapor=data.lapor)
    db.session.commit()
    return jsonify(operations.staff_view(response.complaint)), 201


@bp.get("/stats/complaints")
@documented("Complaints received in a range of local days: resolved, in time, overdue, per agency", tags="stats",
            responses={200: ComplaintFigures}, errors=RANGE_ERRORS, staff=True, query=RANGE)
@staff_required(Role.manager, Role.admin)
def stats_complaints():
    first, last = date_range()
    return jsonify(figures.figures(first, last, agency_id=scoped_agency()))
