"""Complaints in figures: received, answered and resolved in time, overdue, per agency (the dashboard, the
evaluation pack, ``GET /api/stats/complaints``)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.core.models import Agency
from queue_app.core.site import current_site
from queue_app.core.site import today as site_today

from .models import Complaint, ComplaintStatus
from .operations import inbox_items

MAX_TEXT = 4000
MAX_NAME = 100
MAX_EMAIL = 254
MAX_LAPOR = 64
#: how far the deadline search looks for working days before it gives up and counts plain days
MAX_LOOKAHEAD_DAYS = 400
PHONE_RE = re.compile(r"^62[1-9][0-9]{6,12}$")
EMAIL_RE = re.compile(r"^[^@ ]+@[^@ ]+\.[^@ ]+$")  # as the request shape says (queue_app.complaints.shapes)
LAPOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]*$")
REFERENCE_RE = re.compile(r"^ADU-[0-9]{4}-[0-9]{4,}$")


# --- figures --------------------------------------------------------------------------------------------


def _pct(part: int, whole: int) -> float | None:
    return None if not whole else round(100.0 * part / whole, 1)


def figures(first: date, last: date, *, agency_id: int | None = None) -> dict[str, Any]:
    """``GET /api/stats/complaints``: complaints received on local days first..last (of one agency, or all).

    ``resolved``: of those, resolved now; ``resolved_on_time_pct``: the share of the resolved ones resolved by
    their deadline's last day; ``overdue``: of those, not resolved and past their deadline today; ``answered`` and
    ``answered_on_time_pct``: the same for a first answer of any kind.
    """
    tz = current_site().tz
    today = site_today()
    stmt = (sa.select(Complaint.agency_id, Complaint.status, Complaint.respond_by, Complaint.resolved_at,
                      Complaint.first_response_at)
            .where(Complaint.received_day.between(first, last)))
    if agency_id is not None:
        stmt = stmt.where(Complaint.agency_id == agency_id)
    total = _Counts()
    per_agency: dict[int | None, _Counts] = {}
    for agency, status, respond_by, resolved_at, first_response_at in db.session.execute(stmt):
        for acc in (total, per_agency.setdefault(agency, _Counts())):
            acc.add(status, respond_by, resolved_at, first_response_at, tz, today)
    codes = dict(db.session.execute(sa.select(Agency.id, Agency.code).where(
        Agency.id.in_([a for a in per_agency if a is not None])
    )).all())
    rows = sorted(per_agency.items(), key=lambda kv: (kv[0] is None, codes.get(kv[0], "")))
    return {"from": first.isoformat(), "to": last.isoformat(), **total.figures(),
            "by_agency": [{"agency": codes.get(a) if a is not None else None, **acc.figures(short=True)}
                          for a, acc in rows]}


class _Counts:
    def __init__(self) -> None:
        self.received = self.resolved = self.resolved_on_time = self.overdue = 0
        self.in_progress = self.answered = self.answered_on_time = 0

    def add(self, status: ComplaintStatus, respond_by: date, resolved_at: Any, first_response_at: Any,
            tz: Any, today: date) -> None:
        self.received += 1
        if status is ComplaintStatus.resolved:
            self.resolved += 1
            if resolved_at is not None and resolved_at.astimezone(tz).date() <= respond_by:
                self.resolved_on_time += 1
        elif today > respond_by:
            self.overdue += 1
        if status is ComplaintStatus.in_progress:
            self.in_progress += 1
        if first_response_at is not None:
            self.answered += 1
            if first_response_at.astimezone(tz).date() <= respond_by:
                self.answered_on_time += 1

    def figures(self, *, short: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"received": self.received, "resolved": self.resolved, "overdue": self.overdue}
        if short:
            return out
        return {**out, "resolved_on_time_pct": _pct(self.resolved_on_time, self.resolved),
                "in_progress": self.in_progress, "answered": self.answered,
                "answered_on_time_pct": _pct(self.answered_on_time, self.answered)}


def report_rows(first: date, last: date, *, agency_id: int | None = None) -> list[dict[str, Any]]:
    """Every complaint received first..last, oldest first, for an export (no contact details, no token)."""
    tz = current_site().tz
    today = site_today()
    stmt = (sa.select(Complaint).where(Complaint.received_day.between(first, last))
            .order_by(Complaint.received_at, Complaint.id))
    if agency_id is not None:
        stmt = stmt.where(Complaint.agency_id == agency_id)
    found = list(db.session.scalars(stmt))
    items = inbox_items(found)
    out = []
    for c, item in zip(found, items, strict=True):
        resolved_day = c.resolved_at.astimezone(tz).date() if c.resolved_at else None
        first_day = c.first_response_at.astimezone(tz).date() if c.first_response_at else None
        out.append({**item, "received_day": c.received_day, "first_response_day": first_day,
                    "resolved_day": resolved_day,
                    "on_time": None if resolved_day is None else resolved_day <= c.respond_by,
                    "late_open": c.status is not ComplaintStatus.resolved and today > c.respond_by})
    return out


