"""Find a service or a counter by its code (or say clearly that there is none: 404), list the counters."""

from __future__ import annotations

import functools
import weakref
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction, joinedload, selectinload

from queue_app.core import hooks
from queue_app.core.database import flush_pending, is_postgres
from queue_app.core.errors import CounterNotFound, ServiceNotFound
from queue_app.core.extensions import db
from queue_app.core.models import CatalogueVersion, Counter, CounterService, Service, Setting


def get_service(code: str, *, active_only: bool = True) -> Service:
    """The service with its agency, from this process's catalogue while the database's token says it holds.

    Every kiosk press looks its service up; loading it through the ORM with its agency was a tenth of the
    request (issue 15). The catalogue is checked on each call against :class:`CatalogueVersion`, whose
    token the database's own triggers change with any write to agencies, services or settings, so it is
    never behind what this transaction can read.

    :raise ServiceNotFound:
    """
    session = db.session()
    cached = _catalogue(session).services.get(code)
    service = None
    if cached is not None:
        present = session.identity_map.get(sa.inspect(cached).key)
        service = present if present is not None else session.merge(cached, load=False)
    if service is None or (active_only and not service.active):
        raise ServiceNotFound(f'No service with code "{code}".')
    return service


def active_services() -> list[Service]:
    """The active services in the site's order, each with its agency, from the catalogue: for screens that
    only read them (the kiosk's tiles). Shared by every request of the process: never change them."""
    return _catalogue(db.session()).active


def setting_value(key: str) -> Any:
    """The value of a ``settings`` row (None when there is none), from the same catalogue: a kiosk's key is
    checked on every ticket. Read-only: change a setting through its :class:`Setting` row."""
    return _catalogue(db.session()).settings.get(key)


class _Catalogue(NamedTuple):
    token: str | None
    services: dict[str, Service]  # by code; detached, each with its agency loaded
    active: list[Service]  # the active ones, in the site's order
    settings: dict[str, Any]  # key -> value


hooks.declare_cache(
    "catalogue", where=__name__,
    holds="agencies, services (detached, with their agency) and settings rows, per engine, with the "
          "catalogue_version token they were read at",
    forgotten="checked once per transaction against catalogue_version, whose token the database's triggers change "
              "on any write to agencies, services or settings, by any process; a write in the same transaction "
              "ends the memo (after_cursor_execute)")
#: per engine (tests build many apps in one process)
_catalogues: weakref.WeakKeyDictionary[sa.Engine, _Catalogue] = weakref.WeakKeyDictionary()


@functools.cache
def _statements() -> tuple[sa.Select, sa.Select, sa.Select]:
    """The token's read and the catalogue's loads, built once (not at import: the mappers are not all there)."""
    settings = Setting.__table__.c
    return (sa.select(CatalogueVersion.token).where(CatalogueVersion.id == 1),
            sa.select(Service).options(joinedload(Service.agency)),
            sa.select(settings.key, settings.value))


def _catalogue(session: Session) -> _Catalogue:
    """Every service by code and every setting, as this transaction sees them: kept while the token holds.

    The token is read before the services: a change committed between the two reads leaves data newer than
    the token, which only costs one more load on the next call, never a stale answer. Within a transaction
    it is read once (a kiosk's key, then its service) until the transaction writes anything: a write to
    one of these tables changes the token (:func:`_forget_after_a_write`).
    """
    flush_pending()  # this transaction's own changes first
    connection = session.connection()
    transaction = connection.get_transaction()
    memo = connection.info.get(_MEMO)
    if memo is not None and memo[0] is transaction:
        return memo[1]
    token_read, load_services, load_settings = _statements()
    token = connection.execute(token_read).scalar()
    kept = _catalogues.get(connection.engine)
    if kept is not None and token is not None and kept.token == token:
        connection.info[_MEMO] = (transaction, kept)
        return kept
    with Session(bind=connection) as loader:  # a session of its own: what it loads is left detached
        services = {s.code: s for s in loader.scalars(load_services)}
        loader.expunge_all()
    active = sorted((s for s in services.values() if s.active), key=lambda s: s.position)
    settings = {key: value for key, value in connection.execute(load_settings)}
    catalogue = _Catalogue(token, services, active, settings)
    if token is not None:  # no row yet (an emptied database): nothing can tell when these go stale
        _catalogues[connection.engine] = catalogue
    connection.info[_MEMO] = (transaction, catalogue)
    return catalogue


#: on the connection's info: (its transaction, the catalogue checked in it)
_MEMO = "mpp_catalogue"


@hooks.listens_for(sa.Engine, "after_cursor_execute",
                   why="any statement but a built SELECT ends the catalogue memo of the connection's transaction, so a write is seen by the next lookup")
def _forget_after_a_write(conn, _cursor, _statement, _parameters, context, _executemany) -> None:  # noqa: ANN001
    """Any statement but a built SELECT (an ORM flush, a Core write, any text or plain SQL) ends the memo."""
    if _MEMO in conn.info and not (context.compiled is not None and context.compiled.statement.is_select):
        del conn.info[_MEMO]


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


@hooks.listens_for(Session, "after_transaction_end",
                   why="forgets the counters locked in a transaction when it ends (their locks end with it)")
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
