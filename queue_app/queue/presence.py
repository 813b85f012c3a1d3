"""Who is on duty: the clerk panels connected to each counter, kept in the database.

A counter is *open* when a clerk has it open: it is active, not paused, and a clerk's panel is connected to it
(the ``/counter`` namespace with ``auth.counter``, :class:`queue_app.live.namespaces.CounterNamespace`). Only
open counters serve in the estimate (:mod:`queue_app.queue.estimate` reads the rows in the same query as the
counters), and a ticket whose service no open counter serves is told that nobody is on duty instead of a wait.

Several server processes share one database, so a panel's presence is a row (:class:`CounterPresence`) that
its process writes when the panel connects, moves on while the socket lives (:func:`keep`, every
:data:`KEEP_SECONDS` from the server's background loop) and deletes when it closes (:func:`leave`). A process
that dies cannot delete its rows: they expire after :data:`PRESENCE_TTL`, and the next :func:`sweep` of any
process removes them and refreshes the estimates. Each change touches the counter's view and its services'
lines (places, estimates, the board), as a pause does, and forgets this process's replayed queue state.

Plain functions; the caller commits.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import timedelta

import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.extensions import db
from queue_app.core.models import Counter, CounterService
from queue_app.core.outbox import touch
from queue_app.queue.estimate import forget_forecast
from queue_app.queue.models import CounterPresence

#: a panel's row counts this long after its process last moved it on
PRESENCE_TTL = timedelta(seconds=60)
#: how often a server process moves its panels' rows on (well inside the TTL: a busy round may be late)
KEEP_SECONDS = 15.0


@functools.cache
def _staffed_statement() -> sa.Select:
    """The counters with a live panel, built once: every board, dashboard and counter list reads it."""
    return (sa.select(CounterPresence.counter_id).distinct()
            .where(CounterPresence.expires_at > sa.bindparam("now", type_=CounterPresence.expires_at.type)))


def staffed_ids() -> set[int]:
    """Ids of the counters a clerk's panel is connected to now (paused ones included)."""
    return set(db.session.scalars(_staffed_statement(), {"now": clock.utcnow()}))


def staffed_clause(counter_id: sa.ColumnElement[int], now: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL: the counter ``counter_id`` has a live panel at ``now`` (for queries that read counters anyway)."""
    return sa.exists().where(CounterPresence.counter_id == counter_id, CounterPresence.expires_at > now)


def arrive(counter: Counter, sid: str, *, user_id: int | None, ttl: timedelta = PRESENCE_TTL) -> None:
    """A clerk's panel connected to ``counter`` as socket ``sid``: the counter is staffed (again)."""
    begin_write()
    now = clock.utcnow()
    row = db.session.get(CounterPresence, sid)
    if row is None:
        db.session.add(CounterPresence(sid=sid, counter_id=counter.id, user_id=user_id, since=now,
                                       expires_at=now + ttl))
    else:
        row.counter_id, row.user_id, row.expires_at = counter.id, user_id, now + ttl
    db.session.flush()
    _changed({counter.id})


def leave(sid: str) -> bool:
    """The panel of socket ``sid`` closed. :return: whether it was on duty (had a row)."""
    begin_write()
    counter_id = db.session.scalar(sa.delete(CounterPresence).where(CounterPresence.sid == sid)
                                   .returning(CounterPresence.counter_id))
    if counter_id is None:
        return False
    _changed({counter_id})
    return True


def keep(panels: Mapping[str, tuple[int, int | None]], *, ttl: timedelta = PRESENCE_TTL) -> int:
    """Move on the rows of this process's live panels (``sid -> (counter id, user id)``); a row another process
    swept meanwhile (this one was too busy to keep it) is written again. :return: rows written again."""
    if not panels:
        return 0
    begin_write()
    now = clock.utcnow()
    sids = sorted(panels)
    db.session.execute(sa.update(CounterPresence).where(CounterPresence.sid.in_(sids))
                       .values(expires_at=now + ttl).execution_options(synchronize_session=False))
    present = set(db.session.scalars(sa.select(CounterPresence.sid).where(CounterPresence.sid.in_(sids))))
    missing = [sid for sid in sids if sid not in present]
    existing = set(db.session.scalars(sa.select(Counter.id).where(
        Counter.id.in_({panels[sid][0] for sid in missing})))) if missing else set()
    for sid in missing:
        counter_id, user_id = panels[sid]
        if counter_id in existing:
            db.session.add(CounterPresence(sid=sid, counter_id=counter_id, user_id=user_id, since=now,
                                           expires_at=now + ttl))
    if missing:
        db.session.flush()
        _changed({panels[sid][0] for sid in missing} & existing)
    return len(missing)


def sweep() -> int:
    """Remove the expired rows (panels of a process that died); their counters' estimates are redone.
    :return: how many were removed."""
    begin_write()
    gone = db.session.execute(sa.delete(CounterPresence)
                              .where(CounterPresence.expires_at <= clock.utcnow())
                              .returning(CounterPresence.counter_id)).scalars().all()
    if gone:
        _changed(set(gone))
    return len(gone)


def _changed(counter_ids: Iterable[int]) -> None:
    """Whether these counters serve changed: their views, their services' places and estimates, the board."""
    ids = set(counter_ids)
    if not ids:
        return
    services = set(db.session.scalars(sa.select(CounterService.service_id)
                                      .where(CounterService.counter_id.in_(ids))))
    touch(counters=ids, services=services)
    forget_forecast()
