"""The SKM's follow-up (rencana tindak lanjut, PermenPANRB 14/2017): actions on a month's weakest elements, and
the results published with them.

The regulation asks that the survey's results be followed up (first the elements with the lowest value) and that
the results and the follow-up be made public. An action belongs to a month (``period``), one element and an
agency (or the whole MPP), has an owner and a due date, and moves ``planned`` → ``in_progress`` → ``done`` with
its evidence. A manager of an agency handles their agency's actions; admins (and managers of no agency) all.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from queue_app.api.parsing import month_range
from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.errors import Forbidden, NotFound, ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.models import Agency
from queue_app.core.site import iso
from queue_app.core.site import today as site_today
from queue_app.staff.models import Role, User

from . import report
from .models import ActionStatus, IkmAction
from .operations import ikm, round2
from .questionnaire import CODES, UNSUR

PERIOD_RE = re.compile(r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")
MAX_ACTION = 1000
MAX_OWNER = 120
MAX_EVIDENCE = 2000
UNSUR_NAMES = {u.code: u.name["id"] for u in UNSUR}


class ActionNotFound(NotFound):
    """No such follow-up action."""

    code = "action_not_found"


def _text(value: str | None, field: str, limit: int, *, required: bool = True) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ValidationFailed(f'Field "{field}" must not be empty.', field=field)
    if len(cleaned) > limit:
        raise ValidationFailed(f'Field "{field}" may have at most {limit} characters.', field=field)
    return cleaned


def check_period(period: str) -> str:
    """:raise ValidationFailed: not a month like ``2026-12``."""
    if not isinstance(period, str) or not PERIOD_RE.match(period):
        raise ValidationFailed('"period" must be a month like 2026-12.', field="period")
    return period


def agency_for(user: User, code: str | None) -> int | None:
    """The agency an action of ``user`` is for: ``code``'s, or a scoped manager's own.

    :raise NotFound: unknown agency. :raise Forbidden: a manager naming another agency than their own.
    """
    own = user.agency_id if user.role is Role.manager else None
    if not code:
        return own
    agency_id = db.session.scalar(sa.select(Agency.id).where(Agency.code == code))
    if agency_id is None:
        raise NotFound(f'No agency with code "{code}".')
    if own is not None and agency_id != own:
        raise Forbidden("You may only plan actions of your own agency.")
    return agency_id


def _may_change(user: User, action: IkmAction) -> None:
    if user.role is Role.admin:
        return
    if user.role is not Role.manager:
        raise Forbidden("Follow-up actions are planned by managers and admins.")
    if user.agency_id is not None and user.agency_id != action.agency_id:
        raise Forbidden("This action belongs to another agency.")


def create_action(actor: User, *, period: str, unsur: str, action: str, owner: str, due: date,
                  agency: str | None = None) -> IkmAction:
    """Plan an action on one element of a month. The caller commits.

    :raise ValidationFailed: a bad month or element, empty texts (422). :raise Forbidden, NotFound:
    """
    check_period(period)
    if unsur not in CODES:
        raise ValidationFailed('"unsur" must be one of U1 to U9.', field="unsur")
    text = _text(action, "action", MAX_ACTION)
    who = _text(owner, "owner", MAX_OWNER)
    begin_write()
    agency_id = agency_for(actor, agency)
    now = clock.utcnow()
    row = IkmAction(period=period, unsur=unsur, agency_id=agency_id, action=text, owner=who, due=due,
                    status=ActionStatus.planned, evidence="", created_at=now, updated_at=now,
                    created_by_id=actor.id if actor is not None else None)
    db.session.add(row)
    db.session.flush()
    return row


def get_action(action_id: int) -> IkmAction:
    """:raise ActionNotFound:"""
    row = db.session.get(IkmAction, action_id)
    if row is None:
        raise ActionNotFound(f"No follow-up action {action_id}.")
    return row


def update_action(actor: User, action_id: int, *, status: str, evidence: str | None = None) -> IkmAction:
    """Move an action on (``in_progress`` or ``done``), with its evidence. The caller commits.

    :raise ActionNotFound: (404). :raise Forbidden: another agency's (403). :raise ValidationFailed: (422).
    """
    if status not in ("in_progress", "done"):
        raise ValidationFailed('Field "status" must be "in_progress" or "done".', field="status")
    proof = _text(evidence, "evidence", MAX_EVIDENCE, required=False) if evidence is not None else None
    begin_write()
    row = get_action(action_id)
    _may_change(actor, row)
    now = clock.utcnow()
    row.status = ActionStatus(status)
    row.done_at = (row.done_at or now) if row.status is ActionStatus.done else None
    if proof is not None:
        row.evidence = proof
    row.updated_at = now
    db.session.flush()
    return row


def list_actions(*, period: str | None = None, agency_id: int | None = None,
                 periods: tuple[str, str] | None = None) -> list[IkmAction]:
    """Actions of a month (or of the months ``periods`` spans, both included), of one agency or of all; by
    month, agency, element."""
    stmt = sa.select(IkmAction)
    if period is not None:
        stmt = stmt.where(IkmAction.period == period)
    if periods is not None:
        stmt = stmt.where(IkmAction.period.between(*periods))
    if agency_id is not None:
        stmt = stmt.where(IkmAction.agency_id == agency_id)
    stmt = stmt.order_by(IkmAction.period, IkmAction.agency_id.is_(None), IkmAction.agency_id, IkmAction.unsur,
                         IkmAction.id)
    return list(db.session.scalars(stmt))


def _agency_codes(rows: list[IkmAction]) -> dict[int, str]:
    ids = {r.agency_id for r in rows if r.agency_id is not None}
    return dict(db.session.execute(sa.select(Agency.id, Agency.code).where(Agency.id.in_(ids))).all()) if ids else {}


def action_view(row: IkmAction, codes: dict[int, str] | None = None) -> dict[str, Any]:
    """The staff's view of an action."""
    codes = codes if codes is not None else _agency_codes([row])
    return {
        "id": row.id, "period": row.period, "unsur": row.unsur, "unsur_name": UNSUR_NAMES[row.unsur],
        "agency": codes.get(row.agency_id) if row.agency_id is not None else None, "action": row.action,
        "owner": row.owner, "due": row.due.isoformat(), "status": row.status.value, "evidence": row.evidence,
        "created_at": iso(row.created_at), "updated_at": iso(row.updated_at), "done_at": iso(row.done_at),
    }


def actions_view(rows: list[IkmAction]) -> list[dict[str, Any]]:
    codes = _agency_codes(rows)
    return [action_view(r, codes) for r in rows]


def weakest(data: dict[str, Any], n: int = 3) -> list[dict[str, Any]]:
    """The ``n`` elements with the lowest mean answer (NRR) of an IKM report (none without respondents)."""
    scored = [u for u in data["unsur"] if u["nrr"] is not None]
    return sorted(scored, key=lambda u: (u["nrr"], u["code"]))[:n]


def periods_of(first: date, last: date) -> tuple[str, str]:
    """The months a range of days touches, as the first and last ``YYYY-MM``."""
    return first.strftime("%Y-%m"), last.strftime("%Y-%m")


# --- published -------------------------------------------------------------------------------------------


def _published(value: float | None) -> float | None:
    """The IKM as published: half-up to two decimals (the figure its grade is read from)."""
    return None if value is None else float(round2(value))


def public_period(period: str) -> dict[str, Any]:
    """One month's published results: the IKM of the whole MPP and of each agency, and the follow-up actions
    with their status. Nothing a person typed about themselves: no comment, name, phone, owner or evidence."""
    first, last = month_range(period)
    today = site_today()
    last = min(last, today)
    data = ikm(first, last) if first <= last else {"ikm": None, "grade": None, "grade_label": None, "respondents": 0}
    agencies = report.by_agency(first, last) if first <= last else []
    rows = list_actions(period=period)
    codes = _agency_codes(rows)
    return {
        "period": period, "ikm": _published(data["ikm"]), "grade": data["grade"], "grade_label": data["grade_label"],
        "respondents": data["respondents"],
        "by_agency": [{"agency": a["code"], "agency_name": a["name"], "ikm": _published(a["ikm"]),
                       "grade": a["grade"], "respondents": a["respondents"]} for a in agencies],
        "actions": [{"unsur": r.unsur, "unsur_name": UNSUR_NAMES[r.unsur],
                     "agency": codes.get(r.agency_id) if r.agency_id is not None else None,
                     "action": r.action, "status": r.status.value, "due": r.due.isoformat()} for r in rows],
    }


def public_ikm() -> dict[str, Any]:
    """``GET /api/public/ikm``: this month (so far) and the previous one, newest first."""
    today = site_today()
    this_month = today.strftime("%Y-%m")
    previous = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return {"periods": [public_period(this_month), public_period(previous)]}
