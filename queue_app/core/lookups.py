"""Find a service or a counter by its code (or say clearly that there is none: 404), list the counters."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction, joinedload, selectinload

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
    :raise CounterNotFound:

    A counter locked once in a transaction is not read again in it: the API locks it before it looks up a
    repeated Idempotency-Key, then the verb asks for it, and a second SELECT would only hand back the same
    object (the session keeps the one it has) after a round trip. The lock lasts until the transaction ends,
    and so does this memo (:func:`_forget_locked`).
    """
    session = db.session()
    locked = session.info.get(_LOCKED) if lock else None
    if locked is not None and code in locked:
        return locked[code]
    stmt = sa.select(Counter).where(Counter.code == code, Counter.active)
    if lock and is_postgres():
        stmt = stmt.with_for_update()
    counter = session.scalar(stmt)
    if counter is None:
        raise CounterNotFound(f'No counter with code "{code}".')
    if lock:
        session.info.setdefault(_LOCKED, {})[code] = counter
    return counter


_LOCKED = "locked_counters"


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_locked(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended, and its locks with it
        session.info.pop(_LOCKED, None)


def counters_with_current() -> list[Counter]:
    """All active counters in config order, with services and current ticket loaded."""
    return list(db.session.scalars(
        sa.select(Counter).where(Counter.active).order_by(Counter.position)
        .options(selectinload(Counter.service_links).selectinload(CounterService.service),
                 selectinload(Counter.current_ticket))
    ))
