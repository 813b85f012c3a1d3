"""Waiting tickets per service and day, kept in the database as tickets move (issue 15: a flat cost).

The kiosk's tiles, the board, the dashboard and the estimate ask "how many wait for each service?" on every
request and after every call. Counting the waiting tickets reads the whole line each time (SQLite: about
0.5 ms per 3,000, five times per call); :class:`~queue_app.queue.models.QueueCount` holds the answer instead.
It changes in the transaction of the change it counts, so it is exactly as true as the tickets and shared
by every process:

- after each flush, the tickets that joined or left ``waiting`` (or changed service while waiting) are
  summed per (service, day) on the session (``status`` and ``service_id`` keep their old value for this:
  ``active_history``);
- just before commit, each sum is added to its row with one upsert, in a fixed order: on PostgreSQL a
  row is locked only from there to the commit, so two clerks of one service hardly wait for each other;
- a rollback drops them.

Every change of a ticket's state goes through the ORM (queue_app.queue.transitions), so the flush sees it,
but one: a new ticket is written with one INSERT outside the flush (``insert_now``, the hot path of issue
15), and ``issue_ticket`` adds it to its row at once, in the statement that takes its number (the number's
row is locked until commit anyway, and on PostgreSQL this saves a round trip while it is; a savepoint's
rollback takes both back). A bulk ``UPDATE tickets`` would not be seen, and there is none (``mpp-queue db
recount`` repairs the rows after a hand edit in SQL). A savepoint may not change a ticket through the ORM
(its rollback could not take the sums back): :func:`_collect` refuses that loudly.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, UOWTransaction

from queue_app.core import hooks
from queue_app.core.database import WRITE_OPTION, begin_write, upsert_add
from queue_app.core.extensions import db
from queue_app.queue.models import QueueCount, Ticket, TicketState

logger = logging.getLogger(__name__)

_KEY = "queue_count_deltas"
_READ_KEY = "queue_counts_read"


def waiting_counts(day: date) -> dict[int, int]:
    """Waiting tickets per service id on ``day``, this transaction's own changes included."""
    counts = dict(_committed(day))
    for (sid, d), n in _pending(db.session()).items():
        if d == day:
            counts[sid] = counts.get(sid, 0) + n
    return {sid: n for sid, n in counts.items() if n}


def _committed(day: date) -> dict[int, int]:
    """The rows of ``day``, read once per read transaction.

    A kiosk's tiles need them twice (the tiles' counts and a long line's replay) and a call's refresh three
    times (the phones' estimates, the staff screens, the board). Inside one read transaction they cannot
    change but by a commit elsewhere, which SQLite's snapshot hides anyway and which on PostgreSQL would only
    make the reads of one request disagree. A write transaction reads afresh each time: its own upserts
    (:func:`recount`) change the rows. The memo ends with its transaction (:func:`_forget`).
    """
    session = db.session()
    if session.connection().get_execution_options().get(WRITE_OPTION):
        return dict(session.execute(_counts_statement(), {"day": day}).all())
    memo = session.info.get(_READ_KEY)
    if memo is None or memo[0] != day:
        memo = session.info[_READ_KEY] = (day, dict(session.execute(_counts_statement(), {"day": day}).all()))
    return memo[1]


@functools.cache
def _counts_statement() -> sa.Select:
    """Built once: every call and every kiosk refresh asks, and building costs more than SQLite's answer."""
    return sa.select(QueueCount.service_id, QueueCount.waiting).where(QueueCount.service_day == sa.bindparam("day"))


def waiting_column(service_id: sa.ColumnElement | int, day: sa.ColumnElement | date) -> sa.ScalarSelect:
    """The committed count of a service's line as a scalar subquery (0 before its first ticket)."""
    return sa.select(sa.func.coalesce(sa.func.max(QueueCount.waiting), 0)).where(
        QueueCount.service_id == service_id, QueueCount.service_day == day).scalar_subquery()


def pending_delta(service_id: int, day: date) -> int:
    """What this transaction has changed in a line's count and not yet written (see the module doc)."""
    return _pending(db.session()).get((service_id, day), 0)


def differences(day: date | None = None) -> list[tuple[int, date, int, int]]:
    """``(service id, day, kept, counted)`` of every line whose kept count is not the tickets' count.

    One statement, so one snapshot: a transaction committing meanwhile is in both sides or in neither.
    """
    counted = sa.select(Ticket.service_id.label("sid"), Ticket.service_day.label("day"),
                        sa.func.count().label("counted"), sa.literal_column("0").label("kept")
                        ).where(Ticket.status == TicketState.waiting).group_by(Ticket.service_id, Ticket.service_day)
    kept = sa.select(QueueCount.service_id, QueueCount.service_day, sa.literal_column("0"), QueueCount.waiting)
    if day is not None:
        counted, kept = counted.where(Ticket.service_day == day), kept.where(QueueCount.service_day == day)
    both = sa.union_all(counted, kept).subquery()
    rows = db.session.execute(
        sa.select(both.c.sid, both.c.day, sa.func.sum(both.c.kept), sa.func.sum(both.c.counted))
        .group_by(both.c.sid, both.c.day).having(sa.func.sum(both.c.kept) != sa.func.sum(both.c.counted))
        .order_by(both.c.sid, both.c.day))
    return [(sid, d, int(k), int(c)) for sid, d, k, c in rows]


def recount(day: date | None = None) -> list[tuple[int, date, int, int]]:
    """Put right every row that differs from the tickets (of ``day``, or all); return what differed
    (as :func:`differences`).

    The caller holds the write transaction. Safe beside other writers: the difference comes from one
    snapshot, and what others commit meanwhile adds its own change to the row on top of the repair.
    """
    wrong = differences(day)
    for sid, d, kept, counted in wrong:
        upsert_add(QueueCount.__table__, {"service_id": sid, "service_day": d}, "waiting", counted - kept)
    return wrong


def check_today(day: date) -> int:
    """The server's housekeeping check (every round): a difference means a change escaped the flush hook
    (a bulk UPDATE, a hand edit): say so loudly, then repair it. Reads only, unless something is wrong."""
    if not differences(day):
        return 0
    db.session.rollback()
    begin_write()  # SQLite: look again under the write lock, so nothing moves between the look and the fix
    wrong = recount(day)
    for sid, d, kept, counted in wrong:
        logger.error("queue_counts: service %s on %s kept %s waiting, the tickets say %s; repaired", sid, d, kept,
                     counted)
    return len(wrong)


def _pending(session: Session) -> Counter:
    return session.info.get(_KEY) or Counter()


def _line(status: object, service_id: object, day: object) -> tuple[int, date] | None:
    """The line a ticket in this state is counted in, or None."""
    waiting = status is None or status == TicketState.waiting  # None: not set yet, the column's default
    return (service_id, day) if waiting and service_id is not None else None


@hooks.listens_for(Session, "after_flush",
                   why="sums, per line, the tickets that joined or left waiting in this flush (queue_counts follow every ticket change made through the ORM; never change tickets with a bulk UPDATE)")
def _collect(session: Session, flush_context: UOWTransaction) -> None:
    deltas: Counter = Counter()
    for obj in session.new:
        if isinstance(obj, Ticket) and (line := _line(obj.status, obj.service_id, obj.service_day)):
            deltas[line] += 1
    for obj in session.dirty:
        if not isinstance(obj, Ticket):
            continue
        state = sa.inspect(obj)
        status, service = state.attrs.status.history, state.attrs.service_id.history
        if not status.has_changes() and not service.has_changes():
            continue
        old_status = status.deleted[0] if status.deleted else obj.status
        old_service = service.deleted[0] if service.deleted else obj.service_id
        if line := _line(old_status, old_service, obj.service_day):
            deltas[line] -= 1
        if line := _line(obj.status, obj.service_id, obj.service_day):
            deltas[line] += 1
    for obj in session.deleted:
        if isinstance(obj, Ticket) and (line := _line(obj.status, obj.service_id, obj.service_day)):
            deltas[line] -= 1
    _add(session, deltas)


def _add(session: Session, deltas: Counter) -> None:
    deltas = Counter({k: v for k, v in deltas.items() if v})
    if not deltas:
        return
    if session.in_nested_transaction():
        raise RuntimeError("A ticket's state changed inside a savepoint: queue_counts could not follow its rollback.")
    session.info.setdefault(_KEY, Counter()).update(deltas)


@hooks.listens_for(Session, "before_commit",
                   why="adds this transaction's sums to the queue_counts rows with one upsert each, in a fixed order, just before commit")
def _write(session: Session) -> None:
    if session.in_nested_transaction():
        return  # the outer commit writes them
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this hook: its changes must be counted too
    deltas = session.info.pop(_KEY, None)
    for (service_id, day), amount in sorted((deltas or {}).items()):
        if amount:
            upsert_add(QueueCount.__table__, {"service_id": service_id, "service_day": day}, "waiting", amount,
                       session=session)


@hooks.listens_for(Session, "after_transaction_end",
                   why="drops the sums of a transaction that ended (rolled back, or already written)")
def _forget(session: Session, transaction: sa.orm.SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost one ended: committed (written above) or rolled back
        session.info.pop(_KEY, None)
        session.info.pop(_READ_KEY, None)
