"""PostgreSQL transactions with as few round trips as they can hold: the hot path of every ticket and booking.

On PostgreSQL every statement is a round trip, and under a burst each one is a wait, the longer while a hot row
(a line's day number, a slot's places) is locked. Here:

- reads go without BEGIN: a transaction's plain SELECTs before its first write are sent in autocommit, and a
  transaction that only read ends without ROLLBACK (:func:`attach_postgres_hooks`);
- BEGIN goes with the first write (:func:`begin_with`) and COMMIT with the last (:func:`commit_if_row`);
- several rows' upserts go in one statement (:func:`upsert_increments`; one after the other on SQLite, where a
  statement costs no round trip);
- this process's writers of a hot row reach it in turn (:func:`take_turn`).
"""

from __future__ import annotations

import functools
import re
import threading

import sqlalchemy as sa
from flask import Flask
from psycopg import errors, sql
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from queue_app.core import hooks
from queue_app.core.database import (
    WRITE_WAIT_SECONDS,
    flush_pending,
    insert_or_nothing,
    is_postgres,
    upsert_increment,
)
from queue_app.core.extensions import db


def init_transactions(app: Flask) -> None:
    """Give the app's engine, on PostgreSQL, the listeners that let reads go without BEGIN."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            attach_postgres_hooks(db.engine)


def attach_postgres_hooks(engine: Engine) -> None:
    """The listeners a PostgreSQL engine gets (attaching them connects to nothing: the docs list them so)."""
    _reads_before_begin(engine)


#: on a PostgreSQL connection's info: its transaction has sent no BEGIN yet (see _reads_before_begin)
_NO_BEGIN_YET = "mpp_no_begin_yet"
#: on a PostgreSQL connection's info: psycopg's autocommit was turned on for reads, to turn off at checkin
_READS_AUTOCOMMIT = "mpp_reads_autocommit"


def _reads_before_begin(engine: Engine) -> None:
    """PostgreSQL: a transaction's plain reads before its first write go without BEGIN, and a transaction that
    only read ends without ROLLBACK: two round trips fewer for every read-only request (a slot list, a
    full slot's refusal, a ticket's page) and for every request that reads before it writes.

    Nothing is lost by it: at PostgreSQL's READ COMMITTED every statement of a transaction sees a snapshot
    of its own anyway, so a plain SELECT outside the transaction sees what it would have seen inside. The
    transaction begins (psycopg leaves autocommit and sends BEGIN) before the first statement that is not
    a plain SELECT built by SQLAlchemy: any write, a SELECT ... FOR UPDATE, a data-modifying CTE, a
    server-side cursor, any text or driver SQL (an advisory lock, a savepoint). A connection given an
    isolation level of its own (``AUTOCOMMIT`` for VACUUM) is left as it asked.
    """

    @hooks.listens_for(engine, "begin",
                       why="PostgreSQL: a transaction starts without BEGIN; its plain reads are sent in autocommit")
    def _on_begin(conn) -> None:  # noqa: ANN001
        if "isolation_level" in conn.get_execution_options():
            return
        raw = conn.connection.dbapi_connection
        if raw is not None and raw.info.transaction_status == _IDLE:
            raw.autocommit = True
            conn.info[_NO_BEGIN_YET] = conn.info[_READS_AUTOCOMMIT] = True

    @hooks.listens_for(engine, "before_cursor_execute",
                       why="PostgreSQL: BEGIN before a transaction's first statement that is not a plain SELECT")
    def _before_statement(conn, _cursor, statement, _parameters, context, _executemany) -> None:  # noqa: ANN001
        if conn.info.get(_NO_BEGIN_YET) and not _plain_read(statement, context):
            begin_now(conn)

    @hooks.listens_for(engine, "commit", why="PostgreSQL: a transaction that sent no BEGIN ends without a round trip")
    def _on_commit(conn) -> None:  # noqa: ANN001
        begin_now(conn)

    @hooks.listens_for(engine, "rollback", why="PostgreSQL: a transaction that sent no BEGIN ends without a round trip")
    def _on_rollback(conn) -> None:  # noqa: ANN001
        begin_now(conn)

    @hooks.listens_for(engine.pool, "checkin",
                       why="PostgreSQL: a connection goes back to the pool out of the reads' autocommit, whatever ended it")
    def _checked_in(dbapi_conn, record) -> None:  # noqa: ANN001
        if record is None:
            return
        record.info.pop(_NO_BEGIN_YET, None)
        if record.info.pop(_READS_AUTOCOMMIT, None) and dbapi_conn is not None and not dbapi_conn.closed \
                and dbapi_conn.info.transaction_status == _IDLE:
            dbapi_conn.autocommit = False


def _plain_read(statement: str, context) -> bool:  # noqa: ANN001
    """A SELECT built by SQLAlchemy that locks nothing, writes nothing (no data-modifying CTE: it would start
    with WITH) and needs no server-side cursor (which lives in a transaction)."""
    compiled = getattr(context, "compiled", None)
    return (compiled is not None and isinstance(compiled.statement, sa.Select)
            and compiled.statement._for_update_arg is None and not context._is_server_side
            and statement.lstrip()[:6].upper() == "SELECT")


def begin_now(conn: sa.Connection) -> None:
    """PostgreSQL: leave the reads' autocommit, so the next statement begins the transaction (psycopg sends
    BEGIN with it); ending a transaction that never began, this only puts the connection back as it was
    (its COMMIT or ROLLBACK then sends nothing: psycopg has no transaction to end)."""
    if conn.invalidated or conn.closed:  # a cut connection: the pool drops it (its info with it)
        return
    if conn.info.pop(_NO_BEGIN_YET, None):
        raw = conn.connection.dbapi_connection
        if raw is not None and not raw.closed and raw.info.transaction_status == _IDLE:
            raw.autocommit = False


#: psycopg's TransactionStatus.IDLE: no transaction open on the connection
_IDLE = 0


def begin_with(stmt: sa.Executable, params: dict) -> sa.Row | None:
    """PostgreSQL: run ``stmt`` (a write that returns one row) as the transaction's first statement, BEGIN sent
    in the same message: one round trip, not two. For the write that locks a hot row (the day's number): the
    BEGIN psycopg would send first is one more round trip while this process's turn is held. The values are
    inlined as literals (two statements in one message take no parameters), so keep it to numbers, dates
    and short strings. :return: the row, or None when the transaction has already begun (then run it as
    usual)."""
    connection = db.session.connection()
    if not (is_postgres() and connection.info.get(_NO_BEGIN_YET)):
        return None
    raw = connection.connection.dbapi_connection
    if raw is None or raw.info.transaction_status != _IDLE:
        return None
    flush_pending()
    sql = _literal_sql(stmt, params, raw)
    connection.info.pop(_NO_BEGIN_YET, None)  # begun here: psycopg keeps autocommit, the server is in the block
    with raw.cursor() as cur:
        try:
            cur.execute("BEGIN; " + sql, prepare=False)
        except errors.OperationalError as exc:  # as any statement's: the 503 database_unavailable
            connection.invalidate(exc)
            raise sa.exc.OperationalError(sql, None, exc) from exc
        except errors.Error as exc:
            raise sa.exc.DBAPIError.instance(sql, None, exc, raw.__class__.__module__) from exc
        cur.nextset()
        return cur.fetchone()


def _literal_sql(stmt: sa.Executable, params: dict, raw: object) -> str:
    """``stmt`` with ``params`` inlined as SQL literals (psycopg's quoting); compiled once per statement."""
    text, defaults = _compiled(stmt)
    values = {**defaults, **params}
    return _PLACEHOLDER.sub(lambda m: sql.Literal(values[m.group(1)]).as_string(raw), text)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@functools.cache
def _compiled(stmt: sa.Executable) -> tuple[str, dict]:
    """The statement's PostgreSQL text with its named placeholders, and the values SQLAlchemy bound itself."""
    compiled = stmt.compile(dialect=postgresql.psycopg.dialect())
    if "%%" in compiled.string:  # an escaped percent sign would need unescaping: none of ours has one
        raise ValueError("begin_with() takes no statement with a literal %")
    return compiled.string, dict(compiled.params)


def upsert_increments(*rows: tuple[sa.Table, dict, str | tuple[str, ...]]) -> list[int]:
    """:func:`upsert_increment` on several rows at once; return their new values, in order.

    On PostgreSQL one statement (one round trip) that locks the rows in the order given, for writers that
    hold a hot row until commit and should hold it for as few round trips as possible (a ticket's number and
    its line's count, issue 15). Each row's value is its latest committed one plus one, whatever the
    statement waited for. On SQLite, where statements cost no round trip, one after the other. A row given
    several columns adds one to each (a new row starts them at one) and returns each, in order.
    """
    if not is_postgres():
        values: list[int] = []
        for table, keys, columns in rows:
            if isinstance(columns, str):
                values.append(upsert_increment(table, keys, columns))
            else:
                values.extend(_sqlite_increments(table, keys, columns))
        return values
    stmt = _upserts_statement(tuple((table, tuple(keys), column) for table, keys, column in rows))
    params = {f"r{i}_{k}": v for i, (_, keys, _) in enumerate(rows) for k, v in keys.items()}
    row = begin_with(stmt, params)  # the day's number is a hot row: BEGIN in the same message
    if row is None:
        row = db.session.connection().execute(stmt, params).one()
    return [int(v) for v in row]


def _sqlite_increments(table: sa.Table, keys: dict, columns: tuple[str, ...]) -> list[int]:
    db.session.execute(insert_or_nothing(table, {**keys, **{c: 0 for c in columns}}))
    where = [table.c[k] == v for k, v in keys.items()]
    db.session.execute(table.update().where(*where).values({c: table.c[c] + 1 for c in columns}))
    return [int(v) for v in db.session.execute(sa.select(*(table.c[c] for c in columns)).where(*where)).one()]


@functools.cache
def _upserts_statement(rows: tuple[tuple[sa.Table, tuple[str, ...], str | tuple[str, ...]], ...]) -> sa.Select:
    """PostgreSQL: each upsert a data-modifying CTE (they run however the outer SELECT is read, and every one
    of them to its end), read in the order given."""
    ctes = []
    for i, (table, keys, column) in enumerate(rows):
        cols = [table.c[c] for c in ((column,) if isinstance(column, str) else column)]
        stmt = postgresql.insert(table).values(**{k: sa.bindparam(f"r{i}_{k}", type_=table.c[k].type) for k in keys},
                                    **{c.name: 1 for c in cols})
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={c.name: c + 1 for c in cols})
        ctes.append(stmt.returning(*(c.label(f"v{j}") for j, c in enumerate(cols))).cte(f"r{i}"))
    joined = ctes[0]
    for cte in ctes[1:]:  # each has one row; joined on true, as the linter of cartesian products wants
        joined = joined.join(cte, sa.true())
    return sa.select(*(col for c in ctes for col in c.c)).select_from(joined)


# --- turns: this process's writers of a hot row served first come, first served ----------------------

_turns: dict[tuple, threading.Lock] = {}
_HELD = "mpp_turns_held"


def take_turn(key: tuple, *, width: int = 1) -> None:
    """On PostgreSQL, wait for this process's earlier writers of ``key`` to end their transactions, in turn.

    For a hot row that every writer of ``key`` locks until commit, such as a service's day number: its
    waiters in PostgreSQL are not served in turn (ten kiosks on one service: p99 169–183 ms; in
    turn, p99 56–58 ms at the same tickets/s, docs/performance.md). Here they wait in a queue (gevent wakes a
    lock's waiters in order) and reach the row one at a time. The turn passes on when the holder starts to
    commit (the next one then waits on the row alone) or its transaction ends. It is only an aid, so it
    never waits where that could hide a deadlock from PostgreSQL's detector: a writer already holding a
    turn does not queue for another, and after ``WRITE_WAIT_SECONDS`` a writer goes on without its turn.
    Writers of other processes are not in this queue. SQLite needs none: ``BEGIN IMMEDIATE`` lets one
    writer in at a time. Keep ``key`` to a bounded set (a service, not a service and day): a turn is kept
    for the life of the process. ``width`` writers may hold the turn at once (their statements then already
    wait in PostgreSQL when the row is let go, instead of the next one being woken here first).
    """
    if not is_postgres():
        return
    lock = _turns.setdefault((id(db.engine), width, *key),
                             threading.Lock() if width == 1 else threading.BoundedSemaphore(width))
    session = db.session()
    held = session.info.setdefault(_HELD, [])
    if lock in held:
        return
    if lock.acquire(blocking=not held, timeout=WRITE_WAIT_SECONDS if not held else -1):
        held.append(lock)


def _end_turns(session: Session) -> None:
    for lock in session.info.pop(_HELD, ()):
        lock.release()


@hooks.listens_for(Session, "before_commit",
                   why="lets this process's next writer of a hot row queue while this one commits (take_turn)")
def _pass_turns_on(session: Session) -> None:
    """The next writer may queue on the row while this one commits (alone there, so in turn): its wake-up
    then overlaps the commit's flush to disk instead of leaving the row idle after it."""
    if not session.in_nested_transaction():
        _end_turns(session)


@hooks.listens_for(Session, "after_transaction_end",
                   why="gives back the turns a transaction held when it ends, however it ends")
def _give_turns_back(session: Session, transaction: sa.orm.SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: rolled back or closed (or committed)
        _end_turns(session)


def commit_if_row(query: object) -> bool:
    """PostgreSQL: run ``query`` and, if it returns a row, COMMIT, both in one round trip; else roll back.

    For a writer whose last statement locks a hot row (a slot's places): the row is held until the commit,
    and a COMMIT sent after the answer came back holds it one more round trip, which under load (and many
    greenlets) is the longest part of the transaction. Sent together, a racing writer already queued on the
    row goes on as soon as this one's commit is on disk. ``query`` is a :mod:`psycopg.sql` composition with
    its values inlined as literals (two statements in one message take no parameters). The session's pending
    changes are flushed first and this process's turns (:func:`take_turn`) passed on; the session's own commit
    afterwards sends nothing (the connection is already out of its transaction) and fires its hooks as usual.
    After a refusal the connection is in a new, empty transaction: the caller raises, and the session's
    rollback ends it. Only for a transaction whose commit hooks write nothing (one that changed no ticket:
    those hooks' writes would come in a transaction of their own).

    :return: whether it committed.
    """
    session = db.session()
    session.flush()
    _end_turns(session)
    begin_now(session.connection())  # the query writes: it runs in the transaction
    raw = session.connection().connection.dbapi_connection
    guarded = sql.SQL("WITH done AS ({}) SELECT 1 / count(*) FROM done; COMMIT").format(query)
    with raw.cursor() as cur:
        try:
            # no parameters and never prepared: the simple protocol, which takes both statements at once
            cur.execute(guarded, prepare=False)
        except errors.DivisionByZero:  # no row: the transaction failed there and the COMMIT was not run
            raw.rollback()
            return False
        except errors.OperationalError as exc:  # as any statement's: the 503 database_unavailable
            session.connection().invalidate(exc)
            raise sa.exc.OperationalError(guarded.as_string(raw), None, exc) from exc
    return True
