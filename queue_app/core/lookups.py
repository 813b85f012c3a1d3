"""Find a service or a counter by its code (or say clearly that there is none: 404), list the counters."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from queue_app.core.database import is_postgres
from queue_app.core.errors import CounterNotFound, ServiceNotFound
from queue_app.core.extensions import db
from queue_app.core.models import Counter, CounterService, Service


def get_service(code: str, *, active_only: bool = True) -> Service:
    """:raise ServiceNotFound:"""
    stmt = sa.select(Service).where(Service.code == code).options(joinedload(Service.agency))
    if active_only:
        stmt = stmt.where(Service.active)
    service = db.session.scalar(stmt)
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
