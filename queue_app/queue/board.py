"""The hall display's board: latest calls, each counter's current number, waiting counts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.calendar import holiday_name
from queue_app.core.extensions import db
from queue_app.core.lookups import counters_with_current, setting_value
from queue_app.core.models import Counter
from queue_app.core.models.settings import DISPLAY_NOTICES, RUNNING_TEXT
from queue_app.core.site import current_site, iso, today
from queue_app.queue.errors import ZoneNotFound
from queue_app.queue.models import EventKind, Ticket, TicketEvent, ZoneSequence
from queue_app.queue.presence import staffed_ids
from queue_app.queue.read_models import presence_of, waiting_counts


def board_snapshot(zone: str | None) -> dict[str, Any]:
    """What ``GET /api/display`` returns and the ``board`` event carries.

    :param zone: one zone, or None for every zone.
    """
    conf = current_site()
    if zone is not None and zone not in conf.zones:
        raise ZoneNotFound(f'No zone "{zone}".')
    zones = [zone] if zone else list(conf.zones)
    counters = [c for c in counters_with_current() if c.zone in zones]
    start, _ = clock.day_bounds(conf.tz, today(), today())
    recent_n = conf.display.recent_calls
    rows = db.session.execute(
        sa.select(TicketEvent.kind, TicketEvent.at, Ticket.number, Counter.code, Counter.name, Counter.zone,
                  TicketEvent.service_id)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .join(Counter, Counter.id == TicketEvent.counter_id)
        .where(TicketEvent.kind.in_([EventKind.called, EventKind.recalled]), TicketEvent.at >= start,
               Counter.zone.in_(zones))
        .order_by(TicketEvent.id.desc())
        .limit(recent_n * 3)
    ).all()
    recent, seen = [], set()
    for kind, at, number, ccode, cname, czone, _sid in rows:
        if number in seen:  # a recall repeats a number; the board lists it once
            continue
        seen.add(number)
        recent.append({"number": number, "counter": {"code": ccode, "name": cname}, "zone": czone,
                       "at": iso(at), "recall": kind is EventKind.recalled})
        if len(recent) >= recent_n:
            break
    served = {link.service_id for c in counters for link in c.service_links}
    staffed = staffed_ids()
    counts = waiting_counts()
    services = [
        {"code": link.service.code, "name": link.service.name, "prefix": link.service.prefix,
         "waiting": counts.get(link.service_id, 0)}
        for link in _unique_links(counters)
    ]
    seqs = dict(db.session.execute(sa.select(ZoneSequence.zone, ZoneSequence.seq)
                                   .where(ZoneSequence.zone.in_(zones))).all())
    running = setting_value(RUNNING_TEXT)
    notices = setting_value(DISPLAY_NOTICES)
    return {
        "site": conf.name,
        "zone": zone,
        "zones": zones,
        "seq": {z: seqs.get(z, 0) for z in zones},
        "now": iso(clock.utcnow()),
        "timezone": conf.timezone,
        "running_text": running if running is not None else conf.display.running_text,
        # the whole building is closed today (holiday or an admin's closure): the display shows a banner
        "closed": holiday_name(today()),
        "notices": notices if isinstance(notices, list) else [],
        "voice": conf.display.voice,
        "number_reading": conf.display.number_reading,
        "latest": recent[0] if recent else None,
        "recent": recent,
        "counters": [
            {"code": c.code, "name": c.name, "zone": c.zone, "state": c.state.value,
             "staffed": c.id in staffed, "presence": presence_of(c.state, c.id in staffed),
             "current": c.current_ticket.number if c.current_ticket else None,
             "status": c.current_ticket.status.value if c.current_ticket else None}
            for c in counters
        ],
        "services": [s for s in services if s["code"]] if served else [],
    }


def _unique_links(counters: list[Counter]):  # noqa: ANN202
    seen: set[int] = set()
    for c in counters:
        for link in c.service_links:
            if link.service_id not in seen:
                seen.add(link.service_id)
                yield link
