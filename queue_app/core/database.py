"""Database engine setup: SQLite pragmas, write transactions, and small portable helpers."""

from __future__ import annotations

import functools
import random
import re
import sqlite3
import threading
import time

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from queue_app.core import hooks
from queue_app.core.extensions import db

#: For the rare statement that meets a lock outside BEGIN IMMEDIATE (WAL readers almost never do)
BUSY_TIMEOUT_MS = 5000
#: Execution option that makes the next transaction on SQLite a ``BEGIN IMMEDIATE``
WRITE_OPTION = "mpp_write"


#: A pooled connection handed back this recently is used without a ping first (see _ping_after_idle)
PING_AFTER_IDLE_SECONDS = 1.0


def init_engine(app: Flask) -> None:
    """Configure the engine Flask-SQLAlchemy built for this app."""
    with app.app_context():
        engine = db.engine
        _ping_after_idle(engine)
        if engine.dialect.name == "postgresql":
            attach_postgres_hooks(engine)
        if engine.dialect.name == "sqlite":
            _setup_sqlite(engine)
            if app.config.get("SQLITE_STRICT_WRITES"):
                _refuse_writes_in_read_transactions(engine)


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before use when it sat unused for PING_AFTER_IDLE_SECONDS or more.

    SQLAlchemy's ``pool_pre_ping`` pings before every use: one more round trip per request on PostgreSQL
    (every kiosk press, every call). A connection that came back to the pool a moment ago was alive then;
    one left idle is pinged, so after a database restart (which cuts every connection and takes longer
    than this) the pool is refilled before a request meets a dead connection. If one still does, its
    statement fails as a disconnect: the pool is emptied and the request answers 503 ``database_unavailable``.
    """

    @hooks.listens_for(engine.pool, "checkin",
                       why="notes when a connection went idle, so only one idle long enough is pinged at checkout")
    def _checked_in(dbapi_conn, record) -> None:  # noqa: ANN001
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @hooks.listens_for(engine.pool, "checkout",
                       why="pings a connection that sat idle past PING_AFTER_IDLE_SECONDS (a restarted database), instead of every checkout")
    def _checked_out(dbapi_conn, record, _proxy) -> None:  # noqa: ANN001
        idle_since = record.info.pop(_IDLE_SINCE, None)  # a new connection has none: it needs no ping
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if not engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise
            # the pool empties itself (the others are as dead after a restart) and takes a new connection
            raise sa.exc.InvalidatePoolError(f"a pooled connection was dead: {exc}") from exc


_IDLE_SINCE = "mpp_idle_since"

_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _refuse_writes_in_read_transactions(engine: Engine) -> None:
    """(Tests) fail loudly when a transaction that began as a read tries to write.

    Under load such a write fails with "database is locked" (SQLite cannot upgrade a read snapshot
    that another writer has moved past), so every writing transaction must start with begin_write().
    """

    @hooks.listens_for(engine, "before_cursor_execute",
                       why="tests only (SQLITE_STRICT_WRITES): fails a write in a transaction that began as a read, which under load is 'database is locked'")
    def _check(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in _DML and conn.in_transaction() and not conn.get_execution_options().get(WRITE_OPTION):
            raise AssertionError(f"write in a read transaction (call begin_write() first): {statement[:120]}")


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


def _setup_sqlite(engine: Engine) -> None:
    """WAL so readers never block the writer; busy_timeout so writers queue instead of failing;
    ``synchronous = FULL`` so an answered ticket survives a power cut (cost: docs/operations.md);
    ``secure_delete = ON`` so an erased name or phone number is overwritten, not just unlinked.

    pysqlite's own transaction handling starts a deferred transaction lazily, which turns a
    read-then-write into "database is locked" under load. We take control of BEGIN ourselves and
    use ``BEGIN IMMEDIATE`` for transactions that will write (see :func:`begin_write`).
    """

    @hooks.listens_for(engine, "connect",
                       why="SQLite: WAL, busy_timeout, synchronous=FULL, foreign keys, and our own BEGIN on every new connection")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on disk before the 201 goes out. NORMAL in WAL mode may lose the last
        # transactions on a power cut: a visitor would hold a slip whose number is issued again.
        cur.execute("PRAGMA synchronous = FULL")
        # an erased name or phone number must not stay readable in the file: the bytes of deleted and
        # rewritten rows are overwritten with zeros (queue_app/privacy; its cost: docs/performance.md)
        cur.execute("PRAGMA secure_delete = ON")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @hooks.listens_for(engine, "begin",
                       why="SQLite: BEGIN IMMEDIATE for a transaction that will write (begin_write), plain BEGIN for a read")
    def _on_begin(conn):  # noqa: ANN001
        if conn.get_execution_options().get(WRITE_OPTION):
            _begin_immediate(conn)
        else:
            conn.exec_driver_sql("BEGIN")


#: How long a writer waits for SQLite's write lock before giving up ("database is locked")
WRITE_WAIT_SECONDS = 15.0


def _begin_immediate(conn) -> None:  # noqa: ANN001
    """Take SQLite's write lock, waiting in Python rather than in SQLite's C busy handler.

    The C handler sleeps in growing steps up to 100 ms (eight processes writing in turn crawl) and,
    under gevent, its sleep blocks every greenlet of the process, including the one that holds the
    lock. Retrying here with short sleeps is fair, fast and cooperative (time.sleep is gevent's once
    the standard library is patched).
    """
    dbapi_conn = conn.connection.dbapi_connection
    dbapi_conn.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + WRITE_WAIT_SECONDS
        delay = 0.0005
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.01)
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def begin_write() -> None:
    """Start the session's write transaction (``BEGIN IMMEDIATE`` on SQLite; plain on PostgreSQL).

    Call it before the first read of a transaction that will write. If the session already has a
    read transaction open (e.g. the request loaded the user), that one is ended first: a SQLite
    read transaction cannot be upgraded to a write without risking "database is locked".
    """
    session = db.session()  # the scoped session's current Session
    if session.in_transaction():
        if session.connection().get_execution_options().get(WRITE_OPTION):
            return
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() called with unflushed changes")
        session.commit()
    session.connection(execution_options={WRITE_OPTION: True})


def flush_pending() -> None:
    """Flush what the session has pending, as executing a statement would (autoflush), but now: before a
    statement run on the bare connection (``db.session.connection().execute``: plain rows, without the ORM's
    handling of a result, for the hot reads), or before this transaction's unwritten counts are read."""
    session = db.session()
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def upsert_increment(table: sa.Table, keys: dict, column: str, *, start: int = 1) -> int:
    """Atomically add one to ``column`` of the row with ``keys`` (creating it at ``start``); return the value.

    One statement, so two processes can never read the same value: PostgreSQL locks the row,
    SQLite holds the write lock of the ``BEGIN IMMEDIATE`` transaction.
    """
    stmt = _upsert_statement(db.engine.dialect.name, table, tuple(keys), column, start)
    # on the connection: Session.execute would only add the ORM's dispatch to a Core statement
    return int(db.session.connection().execute(stmt, keys).scalar_one())


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
    from psycopg import errors

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
    from psycopg import sql

    text, defaults = _compiled(stmt)
    values = {**defaults, **params}
    return _PLACEHOLDER.sub(lambda m: sql.Literal(values[m.group(1)]).as_string(raw), text)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@functools.cache
def _compiled(stmt: sa.Executable) -> tuple[str, dict]:
    """The statement's PostgreSQL text with its named placeholders, and the values SQLAlchemy bound itself."""
    from sqlalchemy.dialects import postgresql

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
    from sqlalchemy.dialects.postgresql import insert

    ctes = []
    for i, (table, keys, column) in enumerate(rows):
        cols = [table.c[c] for c in ((column,) if isinstance(column, str) else column)]
        stmt = insert(table).values(**{k: sa.bindparam(f"r{i}_{k}", type_=table.c[k].type) for k in keys},
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
    from psycopg import errors, sql

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


def upsert_add(table: sa.Table, keys: dict, column: str, amount: int, *, session: Session | None = None) -> None:
    """Atomically add ``amount`` to ``column`` of the row with ``keys`` (creating it at ``amount``).

    :param session: the session to write in (default: the app's), e.g. the one a session event fired for.
    """
    session = session if session is not None else db.session()
    stmt = _upsert_statement(session.get_bind().dialect.name, table, tuple(keys), column, None)
    session.connection().execute(stmt, {**keys, "amount": amount})


def insert_or_nothing(table: sa.Table, values: dict) -> sa.Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` on either database: a row another transaction may write first
    (its ``rowcount`` tells whether this one did)."""
    return _dialect_insert(db.engine.dialect.name)(table).values(**values).on_conflict_do_nothing()


def _dialect_insert(dialect: str):  # noqa: ANN202
    """The database's own ``insert`` construct, which has ``on_conflict_do_*``."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    return insert


@functools.cache
def _upsert_statement(dialect: str, table: sa.Table, keys: tuple[str, ...], column: str, start: int | None):  # noqa: ANN202
    """Built once: this runs for every ticket issued and every call. ``start`` None: add ``:amount``."""
    insert = _dialect_insert(dialect)
    col = table.c[column]
    initial = sa.bindparam("amount", type_=col.type) if start is None else start
    stmt = insert(table).values(**{k: sa.bindparam(k, type_=table.c[k].type) for k in keys}, **{column: initial})
    if start is None:
        return stmt.on_conflict_do_update(index_elements=list(keys), set_={column: col + stmt.excluded[column]})
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={column: col + 1}).returning(col)


def seconds_between(start: sa.ColumnElement, end: sa.ColumnElement) -> sa.ColumnElement[float]:
    """``end - start`` in seconds as SQL, portable between SQLite and PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0
