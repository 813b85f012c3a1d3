"""Backup and restore of the queue database.

SQLite: SQLite's online backup API copies a consistent snapshot while the server keeps writing (a plain file
copy of a WAL database can catch it mid-write). Restoring goes through the same API into the live file: one
write transaction replaces every page, so no reader sees half a database and a stale ``-wal`` file cannot be
replayed onto the restored one.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean``, when those programs are installed; the
password goes to them in ``PGPASSWORD``, never on the command line (``ps`` shows every user the argv).

A backup holds every visitor token and password hash: it is written mode 0600. ``restore`` refuses while a
server uses the database (SQLite: each serving process holds a shared lock on ``<database>.serving``;
PostgreSQL: other client connections in ``pg_stat_activity``) and first saves the database it replaces.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

PG_DUMP_HINT = "pg_dump --format=custom --file=BACKUP.dump 'postgresql://USER@HOST:5432/DBNAME'"
PG_RESTORE_HINT = "pg_restore --clean --if-exists --no-owner --dbname='postgresql://USER@HOST:5432/DBNAME' BACKUP.dump"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, None for another database."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    if not u.database or u.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(u.database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """SQLAlchemy's ``postgresql+psycopg://`` as the plain URL pg_dump understands, without its password,
    and the environment that carries the password instead (``PGPASSWORD``)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password is not None:
        env["PGPASSWORD"] = str(u.password)
    # URL.set(password=None) would keep the password: build the URL again without it
    plain = URL.create("postgresql", username=u.username, host=u.host, port=u.port, database=u.database,
                       query=u.query)
    return plain.render_as_string(hide_password=False), env


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (replacing a leftover), so the data is never readable by others."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


# --- who uses the database -----------------------------------------------------------------------

#: lock files held by this process (kept open: closing one would release its lock)
_held: dict[Path, IO] = {}


def _lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".serving")


def hold_server_lock(url: str) -> None:
    """Mark this process as a server of the SQLite database at ``url`` for as long as it lives.

    A shared lock: several serving processes (gunicorn workers) hold it together; ``restore`` needs it
    exclusively and so refuses while any of them runs, and a server starting during a restore waits for it.
    The kernel drops the lock when the process dies, however it dies (no stale pid file).
    """
    try:
        path = sqlite_path(url)
    except BackupError:  # in-memory: nothing to protect
        return
    if path is None:
        return
    lock = _lock_path(path.resolve())
    if lock in _held:
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    # held open until the process exits; empty, but 0600 like everything beside the database
    f = os.fdopen(os.open(lock, os.O_RDWR | os.O_CREAT, 0o600), "a+")
    fcntl.flock(f, fcntl.LOCK_SH)
    _held[lock] = f


@contextlib.contextmanager
def _no_sqlite_server(path: Path) -> Iterator[None]:
    """Hold the server lock exclusively for the block. :raise BackupError: a server holds it."""
    lock = _lock_path(path.resolve())
    lock.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(lock, os.O_RDWR | os.O_CREAT, 0o600), "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError("a server is using this database: stop it (systemctl stop mpp-queue) "
                              "before restoring") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _pg_other_sessions(url: str) -> list[str]:
    """Other client connections to the PostgreSQL database of ``url`` (application name and address)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT coalesce(nullif(application_name, ''), 'unnamed'), coalesce(client_addr::text, 'local') "
                "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'")).all()
    except sa.exc.OperationalError as exc:
        raise BackupError(f"cannot reach the database: {exc.orig}") from None
    finally:
        engine.dispose()
    return [f"{name} from {addr}" for name, addr in rows]


def backup(url: str, dest: Path) -> Path:
    """Write a consistent copy of the database at ``url`` to ``dest`` (replaced atomically when it exists)."""
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    path = sqlite_path(url)
    if path is None:
        return _pg_dump(url, dest)
    if not path.exists() or path.stat().st_size == 0:  # the server makes the file empty (0600) before SQLite
        raise BackupError(f"no database at {path}")
    if path.resolve() == dest:
        raise BackupError("the backup must go to another file than the database")
    tmp = dest.with_name(f".{dest.name}.part")
    _private_file(tmp)  # SQLite writes into the empty file and keeps its mode
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        out = sqlite3.connect(tmp)
        try:
            src.backup(out)  # pages copied in steps; restarts by itself if the server writes meanwhile
            out.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        finally:
            out.close()
    finally:
        src.close()
    os.replace(tmp, dest)
    return dest


def _check_sqlite_backup(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from None
    if ok != "ok":
        raise BackupError(f"{path} is damaged: {ok}")
    if not {"tickets", "alembic_version"} <= tables:
        raise BackupError(f"{path} is not an mpp-queue database (no tickets or alembic_version table)")


def restore(url: str, src: Path, *, save_to: Path | None = None) -> Path | None:
    """Replace the database at ``url`` with the backup ``src``, first saving the current one to ``save_to``.

    Refused while a server uses the database: its in-memory state (sockets, caches) would describe the day
    before the restore, and its next write would mix the two.

    :return: where the replaced database was saved (None: there was none, or ``save_to`` was not given).
    """
    src = src.resolve()
    path = sqlite_path(url)
    if path is None:
        return _pg_restore(url, src, save_to)
    _check_sqlite_backup(src)
    with _no_sqlite_server(path):
        saved = None
        if not path.exists() or path.stat().st_size == 0:  # nothing there yet: copy the file into place in one rename
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.restore")
            _private_file(tmp)
            shutil.copyfile(src, tmp)
            os.replace(tmp, path)
            return None
        if save_to is not None:
            saved = backup(url, save_to)
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(path, timeout=30)
            try:
                source.backup(target)  # one write transaction on the target: all of it or nothing
            finally:
                target.close()
        finally:
            source.close()
    return saved


def _pg_dump(url: str, dest: Path) -> Path:
    exe = shutil.which("pg_dump")
    if exe is None:
        raise BackupError(f"pg_dump is not installed (apt-get install postgresql-client); or run: {PG_DUMP_HINT}")
    tmp = dest.with_name(f".{dest.name}.part")
    _private_file(tmp)  # pg_dump truncates it and keeps the mode
    plain, env = _libpq(url)
    result = subprocess.run([exe, "--format=custom", f"--file={tmp}", plain], capture_output=True, text=True,
                            env=env)
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    os.replace(tmp, dest)
    return dest


def _pg_restore(url: str, src: Path, save_to: Path | None) -> Path | None:
    exe = shutil.which("pg_restore")
    if exe is None:
        raise BackupError(f"pg_restore is not installed (apt-get install postgresql-client); or run: "
                          f"{PG_RESTORE_HINT}")
    if not src.is_file():
        raise BackupError(f"no backup file at {src}")
    others = _pg_other_sessions(url)
    if others:
        raise BackupError(f"{len(others)} other connection(s) use this database ({', '.join(others[:5])}): "
                          "stop the server(s) before restoring")
    saved = backup(url, save_to) if save_to is not None else None
    plain, env = _libpq(url)
    result = subprocess.run([exe, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                             f"--dbname={plain}", str(src)], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}"
                          + (f" (the database before the attempt is saved in {saved})" if saved else ""))
    return saved
