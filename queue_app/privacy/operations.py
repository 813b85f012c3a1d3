"""Personal data with an end (UU 27/2022): the daily purge, the export and the erasure of one phone number, and
the cleanup that keeps an erased value from staying readable in the database file.

Each verb walks :mod:`queue_app.privacy.registry` (it knows no feature), writes one audit entry (the number
masked: the audit log must not keep what was erased) and flushes; the caller commits, then calls
:func:`scrub` for the tables it touched.

What "no copy stays readable" takes:

- SQLite: ``PRAGMA secure_delete = ON`` on every connection (queue_app/core/database.py): the bytes of a
  deleted or rewritten row are overwritten with zeros, in the table and in its indexes. The old version of a
  page also lives in the write-ahead log until a checkpoint copies the new one over it and the log restarts,
  so :func:`scrub` runs ``PRAGMA wal_checkpoint(TRUNCATE)``. ``erase`` then reads the file back and, if the
  number is still in it (pages freed before secure_delete was on, in a database older than this version),
  runs ``VACUUM``, which rebuilds the file, and checks again.
- PostgreSQL has no secure delete: an UPDATE leaves the old row version in the table until VACUUM, and
  VACUUM only marks its space free. :func:`scrub` runs ``VACUUM`` on the touched tables, then ``VACUUM FULL``
  for an erasure on request (it rewrites the table into a new file; the old file is deleted, its disk blocks
  are not overwritten). The WAL segments keep the old row until they are recycled, and WAL archives and
  backups keep it until they expire: docs/privacy.md says what an operator must do about those.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.extensions import db
from queue_app.core.i18n import translate
from queue_app.core.site import current_site, iso, today
from queue_app.staff.admin import audit
from queue_app.staff.models import User

from .registry import PersonalData, masked, phone_forms, registered

logger = logging.getLogger(__name__)

#: how long :func:`scrub` keeps asking SQLite for a complete checkpoint while readers hold the log
CHECKPOINT_SECONDS = 5.0


# --- the purge ---------------------------------------------------------------------------------------------


def cutoff() -> date:
    """The last local day whose personal data is due: today less ``[privacy] retain_days`` (a booking for
    2 November is erased on 2 December with the default 30)."""
    return today() - timedelta(days=current_site().privacy.retain_days)


def _due(data: PersonalData, day: date) -> sa.ColumnElement[bool]:
    column = data.since
    if isinstance(getattr(column.type, "impl", column.type), sa.DateTime):  # an instant (UTCDateTime too): due when its local day is ``day`` or earlier
        return column < datetime.combine(day + timedelta(days=1), datetime.min.time(), current_site().tz)
    return column <= day


def purge(*, actor: User | None = None) -> dict[str, int]:
    """Erase the personal fields of every registered table whose day is ``retain_days`` or more behind. The
    caller commits, then calls :func:`scrub` with the tables this returned a count for.

    :return: rows erased per registration (empty when nothing was due; then nothing is audited).
    """
    begin_write()
    day = cutoff()
    erased: dict[str, int] = {}
    for data in registered():
        ids = list(db.session.scalars(sa.select(data.key).where(_due(data, day), data.holds_something())))
        if ids:
            _blank(data, ids)
            erased[data.name] = len(ids)
    if erased:
        audit(actor, "privacy_purged", f"up to {day.isoformat()}", erased=erased,
              retain_days=current_site().privacy.retain_days)
        logger.info("Personal data purged (up to %s): %s", day, erased)
    db.session.flush()
    return erased


def purge_if_due() -> dict[str, int] | None:
    """Housekeeping: the purge, once per local day in this process (another process doing it too finds nothing
    left, and audits nothing). Commits. :return: what was erased, or None when it was not due."""
    from flask import current_app

    day = today()
    if current_app.extensions.get("privacy_purged_on") == day:
        return None
    erased = purge()
    db.session.commit()
    scrub(tables_of(erased))
    current_app.extensions["privacy_purged_on"] = day
    return erased


def _blank(data: PersonalData, ids: list[Any]) -> None:
    table = data.table
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        db.session.execute(table.update().where(data.key.in_(part))
                           .values({c.key: data.blank(c) for c in data.erase}))
        if data.also is not None:
            data.also(part)


# --- one number: export and erasure --------------------------------------------------------------------------


def _matching(data: PersonalData, forms: tuple[str, ...]) -> sa.ColumnElement[bool] | None:
    return data.phone.in_(forms) if data.phone is not None else None


def _plain(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):  # an enum
        return value.value
    return value


def export(phone: str, *, actor: User | None = None) -> dict[str, Any]:
    """All that is stored about a phone number, per registration, as plain JSON values. Audited (masked).

    :raise ValidationFailed: not a phone number.
    """
    forms = phone_forms(phone)
    begin_write()  # the audit entry
    records: dict[str, list[dict[str, Any]]] = {}
    for data in registered():
        where = _matching(data, forms)
        if where is None:
            continue
        columns = list(data.show) or list(data.table.columns)
        rows = db.session.execute(sa.select(*columns).where(where).order_by(data.key)).mappings().all()
        if rows:
            records[data.name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    audit(actor, "privacy_exported", masked(phone), records={k: len(v) for k, v in records.items()})
    db.session.flush()
    return {"phone": forms[1], "exported_at": iso(clock.utcnow()), "retain_days": current_site().privacy.retain_days,
            "labels": {d.name: translate("en", d.label) for d in registered() if d.name in records},
            "records": records}


def erase(phone: str, *, actor: User | None = None) -> dict[str, int]:
    """Erase a phone number and the names given with it, in every registered table, now. Audited (masked).
    The caller commits, then calls :func:`scrub` (and may :func:`verify_gone`).

    :return: rows erased per registration.
    :raise ValidationFailed: not a phone number.
    """
    forms = phone_forms(phone)
    begin_write()
    erased: dict[str, int] = {}
    for data in registered():
        where = _matching(data, forms)
        if where is None:
            continue
        ids = list(db.session.scalars(sa.select(data.key).where(where)))
        if ids:
            _blank(data, ids)
            erased[data.name] = len(ids)
    audit(actor, "privacy_erased", masked(phone), erased=erased)
    db.session.flush()
    logger.info("Personal data of %s erased on request: %s", masked(phone), erased)
    return erased


# --- the database file ---------------------------------------------------------------------------------------


def tables_of(names: dict[str, int] | list[str]) -> list[str]:
    """The tables of the registrations named (what :func:`scrub` should clean after them)."""
    wanted = set(names)
    return sorted({d.table.name for d in registered() if d.name in wanted})


def scrub(tables: list[str], *, full: bool = True, wait: float | None = None) -> str:
    """After a committed erasure or purge, leave no old copy readable in the database: SQLite's log is
    checkpointed into the file and restarted; PostgreSQL's touched tables are vacuumed (``full``: rewritten
    into a new file, the way to drop the old row versions' bytes from the table's file).

    PostgreSQL keeps an old row version while any transaction that began before the erasure committed is still
    running (in any database of the cluster: snapshots are cluster-wide), and VACUUM then copies it along; so
    the vacuum waits up to ``wait`` seconds (``PRIVACY_VACUUM_WAIT_SECONDS``) for those to end.

    :return: what was done, for the command's output.
    """
    if not tables:
        return "nothing to clean"
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        return _checkpoint()
    from flask import current_app

    if wait is None:
        wait = float(current_app.config.get("PRIVACY_VACUUM_WAIT_SECONDS", 30))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        waited = _older_transactions_ended(conn, wait)
        for table in tables:
            conn.exec_driver_sql(f'VACUUM {"FULL " if full else ""}"{table}"')
    done = f"{'VACUUM FULL' if full else 'VACUUM'} of {', '.join(tables)}"
    if not waited:
        logger.warning("privacy: a transaction older than the erasure was still running; %s may have kept the "
                       "old row versions (the next vacuum drops them)", done)
        return done + " (a transaction older than the erasure was still running: old versions may stay " \
                      "until the next vacuum)"
    return done


def _older_transactions_ended(conn: sa.Connection, wait: float) -> bool:
    """Wait until every transaction running now has ended (they may hold the erased row versions)."""
    now = conn.exec_driver_sql("SELECT txid_snapshot_xmax(txid_current_snapshot())").scalar()
    deadline = time.monotonic() + wait
    while conn.exec_driver_sql("SELECT txid_snapshot_xmin(txid_current_snapshot())").scalar() < now:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _checkpoint() -> str:
    """Copy the log into the file and truncate it, retrying while readers hold it (they end within moments)."""
    deadline = time.monotonic() + CHECKPOINT_SECONDS
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        while True:
            busy, _log, _done = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return "WAL checkpointed and truncated"
            if time.monotonic() > deadline:
                logger.warning("privacy: the WAL could not be truncated (readers kept it busy); the next "
                               "checkpoint overwrites the old pages")
                return "WAL checkpoint incomplete (busy readers); it completes at a later checkpoint"
            time.sleep(0.05)


def database_files() -> list[Path]:
    """The SQLite database file and its log (empty for PostgreSQL)."""
    if db.engine.dialect.name != "sqlite" or not db.engine.url.database:
        return []
    main = Path(db.engine.url.database)
    return [p for p in (main, main.with_name(main.name + "-wal")) if p.exists()]


def still_readable(values: list[str]) -> list[str]:
    """Which of ``values`` still appear in the bytes of the SQLite database file or its log."""
    found = []
    blobs = [p.read_bytes() for p in database_files()]
    for value in values:
        needle = value.encode()
        if needle and any(needle in blob for blob in blobs):
            found.append(value)
    return found


def verify_gone(phone: str) -> str:
    """SQLite: make sure no form of ``phone`` is left in the file; a database older than secure_delete may
    keep it in pages freed before, so then the file is rebuilt (VACUUM) and checked again."""
    if db.engine.dialect.name != "sqlite":
        return "PostgreSQL: see docs/privacy.md for WAL segments, archives and backups"
    forms = list(phone_forms(phone))
    if not still_readable(forms):
        return "the number no longer appears in the database file"
    db.session.commit()
    with db.engine.connect() as conn:
        conn.connection.dbapi_connection.execute("VACUUM")
    _checkpoint()
    left = still_readable(forms)
    if left:
        return "VACUUM done, yet the number still appears in the database file (held by another record?)"
    return "VACUUM done; the number no longer appears in the database file"


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
