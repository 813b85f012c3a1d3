"""Days an admin closes the whole building (a sudden closure, an office event), with a reason.

Such a day acts like a ``[[holidays]]`` entry: every service answers 409 ``holiday`` naming the reason,
the kiosk shows it on every tile, the hall displays show a banner. Plain functions for the admin page,
the command line and tests; each writes the audit log in the same transaction. The caller commits.

What a closure does to the features above (the online bookings of that day are cancelled by the office and
given back on reopening) they do themselves, listening to :data:`day_closed` and :data:`day_reopened`; they
answer :data:`closing_asked` with what a closure of a day would affect, so the admin is told before confirming.
Each receiver returns a dict of counts (``{"bookings": 3}``); the senders add them up (:attr:`Closed.affected`).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from blinker import NamedSignal, Namespace

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

__all__ = ["MAX_REASON", "Closed", "ClosureNotFound", "affected_by_closing", "close_site", "closed_today",
           "closing_asked", "day_closed", "day_reopened", "parse_day", "reopen_site", "upcoming_closures"]
from queue_app.staff.models import User

_signals = Namespace()

#: an admin closed ``day`` (the sender, a date) with ``reason`` (keywords ``reason``, ``actor``), inside the
#: closing transaction: a receiver changes its rows in the same session and returns its counts
day_closed = _signals.signal("day-closed")
#: an admin opened ``day`` (the sender) again (keyword ``actor``); a receiver returns its counts
day_reopened = _signals.signal("day-reopened")
#: what closing ``day`` (the sender) would affect, asked before an admin confirms; a receiver only reads
closing_asked = _signals.signal("closing-asked")


class Closed(NamedTuple):
    """A closure made, and what the features listening did about it (e.g. ``{"bookings": 3}`` cancelled)."""

    closure: SiteClosure
    affected: dict[str, int]


def _counts(signal: NamedSignal, day: date, **kwargs: object) -> dict[str, int]:
    """Send ``signal`` for ``day`` and add up what its receivers return."""
    total: Counter[str] = Counter()
    for _receiver, counts in signal.send(day, **kwargs):
        total.update(counts or {})
    return dict(total)


def affected_by_closing(day: date | str) -> dict[str, int]:
    """What closing ``day`` would affect now (``{"bookings": 3}``: booked visitors whose booking would be
    cancelled), for the admin to read before confirming. :raise ValidationFailed: not a day."""
    return _counts(closing_asked, parse_day(day))


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


def close_site(actor: User | None, day: date | str, reason: str) -> Closed:
    """Close the whole site on ``day`` (today or later); a second closure of the same day replaces the reason.

    :return: the closure and what the listening features did (``affected``: e.g. the bookings cancelled)."""
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
    db.session.flush()
    affected = _counts(day_closed, day, reason=reason, actor=actor)
    audit(actor, "site_closed", day.isoformat(), reason=reason, before=before, **affected)
    _changed(day)
    return Closed(row, affected)


def reopen_site(actor: User | None, day: date | str) -> dict[str, int]:
    """Undo :func:`close_site` for ``day``. :return: what the listening features gave back (e.g. bookings)."""
    begin_write()
    day = parse_day(day)
    row = db.session.scalar(sa.select(SiteClosure).where(SiteClosure.day == day))
    if row is None:
        raise ClosureNotFound(text="closure_not_found", values={"day": day.isoformat()})
    db.session.delete(row)
    db.session.flush()
    affected = _counts(day_reopened, day, actor=actor)
    audit(actor, "site_reopened", day.isoformat(), reason=row.reason, **affected)
    _changed(day)
    return affected


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
