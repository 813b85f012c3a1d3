"""Bring the database in line with config.toml at start.

Agencies, services and counters are added or updated by code. One that disappeared from the file
is only marked inactive: its tickets and events stay, so last month's report still adds up.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from queue_app.core.database import begin_write
from queue_app.core.extensions import db
from queue_app.core.models import Agency, Counter, CounterService, Service
from queue_app.core.siteconfig import SiteConf

logger = logging.getLogger(__name__)


def _rows() -> list[list[tuple]]:
    """Every row config.toml writes, to tell afterwards whether it changed any (a few dozen rows)."""
    return [sorted((tuple(row) for row in db.session.execute(sa.select(model.__table__))), key=repr)
            for model in (Agency, Service, Counter, CounterService)]


def sync_site(conf: SiteConf) -> bool:
    """Apply the configuration; the caller commits. :return: whether anything in the database changed."""
    begin_write()
    before = _rows()
    agencies = {a.code: a for a in db.session.scalars(sa.select(Agency))}
    for a in agencies.values():
        a.active = False
    for ac in conf.agencies:
        agency = agencies.get(ac.code)
        if agency is None:
            agency = agencies[ac.code] = Agency(code=ac.code, name=ac.name)
            db.session.add(agency)
        agency.name = ac.name
        agency.active = True

    services = {s.code: s for s in db.session.scalars(sa.select(Service))}
    for s in services.values():
        s.active = False
    db.session.flush()
    for pos, sc in enumerate(conf.services):
        service = services.get(sc.code)
        if service is None:
            service = services[sc.code] = Service(code=sc.code)
            db.session.add(service)
        service.agency = agencies[sc.agency]
        service.name = sc.name
        service.name_en = sc.name_en
        service.prefix = sc.prefix
        service.target_wait_minutes = sc.target_wait_minutes
        service.hours_start, service.hours_end = sc.hours or (None, None)
        service.daily_quota = sc.daily_quota
        service.typical_service_seconds = round(sc.typical_service_minutes * 60)
        service.position = pos
        service.active = True
        if service.closed_reason is None:
            service.closed_reason = ""

    counters = {c.code: c for c in db.session.scalars(sa.select(Counter))}
    for c in counters.values():
        c.active = False
    db.session.flush()
    for pos, cc in enumerate(conf.counters):
        counter = counters.get(cc.code)
        if counter is None:
            counter = counters[cc.code] = Counter(code=cc.code)
            db.session.add(counter)
        counter.name = cc.name
        counter.zone = cc.zone
        counter.position = pos
        counter.active = True
        db.session.flush()
        current = {link.service_id: link for link in counter.service_links}
        keep = []
        for i, code in enumerate(cc.services):
            sid = services[code].id
            link = current.pop(sid, None) or CounterService(service_id=sid)
            link.position = i
            keep.append(link)
        counter.service_links = keep
    db.session.flush()
    # said when config.toml changed the database, not on every command that opens it
    changed = _rows() != before
    logger.log(logging.INFO if changed else logging.DEBUG, "config.toml %s: %d agencies, %d services, %d counters",
               "applied" if changed else "unchanged", len(conf.agencies), len(conf.services), len(conf.counters))
    return changed
