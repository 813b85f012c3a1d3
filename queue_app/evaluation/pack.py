"""The evaluation pack's figures for a period and scope (one agency, or the whole MPP)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from queue_app.complaints import figures as complaints
from queue_app.core.extensions import db
from queue_app.core.models import Agency, Service
from queue_app.core.site import current_site
from queue_app.core.siteconfig import COMPONENTS
from queue_app.standards import operations as standards
from queue_app.stats import figures
from queue_app.survey import actions, report
from queue_app.survey import operations as survey

#: the six components of service delivery, which every service should publish
PUBLIC_KEYS = frozenset(c.key for c in COMPONENTS if c.public)


def services_in_scope(agency_id: int | None) -> list[Service]:
    stmt = sa.select(Service).where(Service.active).order_by(Service.position)
    if agency_id is not None:
        stmt = stmt.where(Service.agency_id == agency_id)
    return list(db.session.scalars(stmt))


def standards_table(agency_id: int | None) -> dict[str, Any]:
    """Each service in scope with its standard's components (all fourteen that are set) and where it comes from."""
    rows = []
    for service in services_in_scope(agency_id):
        found = standards.components(service.code)
        public = [c for c in found if c["key"] in PUBLIC_KEYS]
        rows.append({"code": service.code, "name": service.name, "agency": service.agency.code,
                     "source": standards.source(service.code), "components": found,
                     "public_count": len(public), "count": len(found)})
    published = sum(1 for r in rows if r["count"])
    complete = sum(1 for r in rows if r["public_count"] == len(PUBLIC_KEYS))
    return {"services": rows, "published": published, "complete_public": complete, "total": len(rows)}


def pack(first: date, last: date, *, agency_id: int | None = None) -> dict[str, Any]:
    """Everything the pack shows for local days first..last."""
    scope = db.session.get(Agency, agency_id) if agency_id is not None else None
    data = survey.ikm(first, last, agency_id=agency_id)
    plan = actions.actions_view(actions.list_actions(periods=actions.periods_of(first, last), agency_id=agency_id))
    summary = figures.summary(first, last, agency_id=agency_id)
    return {
        "site": current_site().name,
        "first": first, "last": last,
        "scope": {"code": scope.code, "name": scope.name} if scope is not None else None,
        "maklumat": standards.maklumat(),
        "ikm": data,
        "ikm_by_agency": report.by_agency(first, last, agency_id=agency_id),
        "weakest": actions.weakest(data),
        "actions": plan,
        "actions_done": sum(1 for a in plan if a["status"] == "done"),
        "complaints": complaints.figures(first, last, agency_id=agency_id),
        "complaint_rows": complaints.report_rows(first, last, agency_id=agency_id),
        "standards": standards_table(agency_id),
        "service_levels": summary,
    }
