"""Find a service or a counter by its code (or say clearly that there is none: 404), list the counters."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from queue_app.core.database import is_postgres
from queue_app.core.errors import CounterNotFound, ServiceNotFound
from queue_app.core.extensions import db
from queue_app.core.models import Counter, CounterService, Service


@functools.cache
def _service_by_code(active_only: bool) -> sa.Select:
    """Built once: every ticket looks its service up, and building the statement cost as much as running it."""
    stmt = sa.select(Service).where(Service.code == sa.bindparam("code")).options(joinedload(Service.agency))
    return stmt.where(Service.active) if active_only else stmt


def get_service(code: str, *, active_only: bool = True) -> Service:
    """:raise ServiceNotFound:"""
    service = db.session.scalar(_service_by_code(active_only), {"code": code})
    if service is None:
        raise ServiceNotFound(f'No service with code "{code}".')
    return service


def get_counter(code: str, *, lock: bool = False) -> Counter:
    """:param lock: lock the row (PostgreSQL) so two requests for one counter queue up.
    :raise CounterNotFound:"""
    stmt = sa.select(Counter).where(Counter.code == code, Counter.active)
    if lock and is_postgres():
        stmt = stmt.with_for_update()
    counter = db.session.scalar(stmt)
    if counter is None:
        raise CounterNotFound(f'No counter with code "{code}".')
    return counter


def counters_with_current() -> list[Counter]:
    """All active counters in config order, with services and current ticket loaded."""
    return list(db.session.scalars(
        sa.select(Counter).where(Counter.active).order_by(Counter.position)
        .options(selectinload(Counter.service_links).selectinload(CounterService.service),
                 selectinload(Counter.current_ticket))
    ))
