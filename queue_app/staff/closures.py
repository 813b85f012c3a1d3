"""Days an admin closes the whole building (a sudden closure, an office event), with a reason.

Such a day acts like a ``[[holidays]]`` entry: every service answers 409 ``holiday`` naming the reason,
the kiosk shows it on every tile, the hall displays show a banner. Plain functions for the admin page,
the command line and tests; each writes the audit log in the same transaction. The caller commits.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.calendar import forget_closures, holiday_name
from queue_app.core.database import begin_write
from queue_app.core.errors import NotFound, ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.models import Service, SiteClosure
from queue_app.core.outbox import touch
from queue_app.core.site import current_site, today
from queue_app.staff.admin import MAX_REASON, audit
from queue_app.staff.events import to_every_zone

__all__ = ["MAX_REASON", "ClosureNotFound", "close_site", "closed_today", "parse_day", "reopen_site",
           "upcoming_closures"]
from queue_app.staff.models import User


class ClosureNotFound(NotFound):
    """No closure on that day."""

    code = "closure_not_found"


def upcoming_closures(since: date | None = None) -> list[SiteClosure]:
    """Closures from ``since`` (default today) on, soonest first."""
    since = since or today()
    return list(db.session.scalars(sa.select(SiteClosure).where(SiteClosure.day >= since).order_by(SiteClosure.day)))


def parse_day(value: object) -> date:
    """A ``YYYY-MM-DD`` from a form, the API or the shell; :raise ValidationFailed: otherwise."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(text="closure_day_format", field="day") from None


def close_site(actor: User | None, day: date | str, reason: str) -> SiteClosure:
    """Close the whole site on ``day`` (today or later); a second closure of the same day replaces the reason."""
    begin_write()
    day = parse_day(day)
    reason = " ".join((reason or "").split()) if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailed(text="closure_reason_needed", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(text="closure_reason_too_long", values={"n": MAX_REASON}, field="reason")
    if day < today():
        raise ValidationFailed(text="closure_day_past", field="day")
    configured = current_site().holidays.get(day)
    if configured is not None:
        raise ValidationFailed(text="holiday_configured", values={"day": day.isoformat(), "name": configured},
                               field="day")
    row = db.session.scalar(sa.select(SiteClosure).where(SiteClosure.day == day))
    before = row.reason if row is not None else None
    if row is None:
        row = SiteClosure(day=day, reason=reason, created_at=clock.utcnow())
        db.session.add(row)
    row.reason = reason
    row.created_by_id = actor.id if actor else None
    audit(actor, "site_closed", day.isoformat(), reason=reason, before=before)
    _changed(day)
    return row


def reopen_site(actor: User | None, day: date | str) -> None:
    """Undo :func:`close_site` for ``day``."""
    begin_write()
    day = parse_day(day)
    row = db.session.scalar(sa.select(SiteClosure).where(SiteClosure.day == day))
    if row is None:
        raise ClosureNotFound(text="closure_not_found", values={"day": day.isoformat()})
    audit(actor, "site_reopened", day.isoformat(), reason=row.reason)
    db.session.delete(row)
    _changed(day)


def closed_today() -> str | None:
    """Today's closure reason or holiday name (what the displays' banner says), or None."""
    return holiday_name(today())


def _changed(day: date) -> None:
    db.session.flush()
    forget_closures()
    if day != today():
        return
    # every tile changes at once: kiosks reload their services, displays show or drop the banner
    touch(services=set(db.session.scalars(sa.select(Service.id).where(Service.active))))
    to_every_zone({"kind": "closure", "closed": closed_today()})
