"""Database engine setup: SQLite pragmas, write transactions, and small portable helpers."""

from __future__ import annotations

import functools
import random
import sqlite3
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


def pool_options(url: str, connections: int, given: dict) -> dict:
    """The engine's pool: ``connections`` (``[server] database_connections``) kept open and never exceeded.

    SQLAlchemy's default pool opens up to ten more under a burst: on PostgreSQL those extra transactions
    share the same cores and the same hot rows (a line's day number), so they add switching, not throughput
    (joining from afar, 500 at once on 2 cores: 188–262 visitors/s with them, 255–335 without, docs/performance.md),
    and each is a new server process opened mid-burst and closed after it. Past the pool a request waits
    for a connection (503 ``server_busy`` after the pool's timeout). Options the app was given win; an
    in-memory SQLite database has a pool of its own kind."""
    if url.startswith("sqlite") and (url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url):
        return dict(given)
    return {"pool_size": connections, "max_overflow": 0, **given}


def init_engine(app: Flask) -> None:
    """Configure the engine Flask-SQLAlchemy built for this app."""
    with app.app_context():
        engine = db.engine
        _ping_after_idle(engine)
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
