"""Backup and restore of the queue database.

SQLite: SQLite's online backup API copies a consistent snapshot while the server keeps writing (a plain file
copy of a WAL database can catch it mid-write). Restoring goes through the same API into the live file: one
write transaction replaces every page, so no reader sees half a database and a stale ``-wal`` file cannot be
replayed onto the restored one.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean``, when those programs are installed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

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


def _libpq_url(url: str) -> str:
    """SQLAlchemy's ``postgresql+psycopg://`` as the plain URL pg_dump understands."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(url: str, dest: Path) -> Path:
    """Write a consistent copy of the database at ``url`` to ``dest`` (replaced atomically when it exists)."""
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    path = sqlite_path(url)
    if path is None:
        return _pg_dump(url, dest)
    if not path.exists():
        raise BackupError(f"no database at {path}")
    if path.resolve() == dest:
        raise BackupError("the backup must go to another file than the database")
    tmp = dest.with_name(f".{dest.name}.part")
    tmp.unlink(missing_ok=True)
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


def restore(url: str, src: Path) -> None:
    """Replace the database at ``url`` with the backup ``src``. Stop the server first: its in-memory state
    (sockets, caches) would otherwise describe the day before the restore."""
    src = src.resolve()
    path = sqlite_path(url)
    if path is None:
        return _pg_restore(url, src)
    _check_sqlite_backup(src)
    if not path.exists():  # nothing there yet: copy the file into place in one rename
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.restore")
        shutil.copyfile(src, tmp)
        os.replace(tmp, path)
        return None
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(path, timeout=30)
        try:
            source.backup(target)  # one write transaction on the target: all of it or nothing
        finally:
            target.close()
    finally:
        source.close()
    return None


def _pg_dump(url: str, dest: Path) -> Path:
    exe = shutil.which("pg_dump")
    if exe is None:
        raise BackupError(f"pg_dump is not installed (apt-get install postgresql-client); or run: {PG_DUMP_HINT}")
    tmp = dest.with_name(f".{dest.name}.part")
    result = subprocess.run([exe, "--format=custom", f"--file={tmp}", _libpq_url(url)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    os.replace(tmp, dest)
    return dest


def _pg_restore(url: str, src: Path) -> None:
    exe = shutil.which("pg_restore")
    if exe is None:
        raise BackupError(f"pg_restore is not installed (apt-get install postgresql-client); or run: "
                          f"{PG_RESTORE_HINT}")
    if not src.is_file():
        raise BackupError(f"no backup file at {src}")
    result = subprocess.run([exe, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                             f"--dbname={_libpq_url(url)}", str(src)], capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
