"""First-start work of a serving process: migrate, apply config.toml, close yesterday's tickets, the first admin."""

from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import DBAPIError, IntegrityError

from queue_app.booking import operations as booking_operations
from queue_app.core.apply_config import sync_site
from queue_app.core.extensions import db
from queue_app.factory import MIGRATIONS_DIR, use_migrations
from queue_app.queue import rollover
from queue_app.staff.auth import ensure_first_admin
from queue_app.staff.password import write_first_admin_password

logger = logging.getLogger(__name__)


def _schema_is_current() -> bool:
    """The database is at the newest migration: its ``alembic_version`` names every head of the migration
    files (read with a regular expression, so a serving process need not import Alembic to know)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in Path(MIGRATIONS_DIR, "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = re.search(r"^revision = ['\"]([0-9a-z_]+)['\"]", text, re.M)
        if found is None:
            return False  # a file this check does not understand: let Alembic decide
        revisions.add(found.group(1))
        down = re.search(r"^down_revision = (.+)$", text, re.M)  # None, 'abc' or ('abc', 'def')
        if down is not None:
            parents.update(re.findall(r"['\"]([0-9a-z_]+)['\"]", down.group(1)))
    try:
        current = set(db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError:  # no such table yet: a new database
        db.session.rollback()
        return False
    db.session.rollback()
    return bool(current) and current == revisions - parents


def bootstrap(app: Flask, *, migrate_db: bool | None = None) -> Path | None:
    """First-start work of a serving process: migrate, apply config.toml, close yesterday's tickets.

    :return: the 0600 file holding the generated admin password when the site had no users (print its path,
        never the password: a server's standard output ends up in the journal).
    """
    if migrate_db is None:
        migrate_db = app.config.get("MIGRATE_ON_START", True)
    with app.app_context(), _startup_lock():
        if migrate_db and not _schema_is_current():
            from flask_migrate import upgrade

            use_migrations(app)
            upgrade(directory=MIGRATIONS_DIR)
        sync_site(app.extensions["site"])
        db.session.commit()
        closed = rollover.close_stale_tickets()
        db.session.commit()
        booking_operations.expire_bookings()
        db.session.commit()
        if closed:
            logger.info("Closed %d tickets left waiting from earlier days", closed)
        try:
            password = ensure_first_admin()
            db.session.commit()
        except IntegrityError:  # another worker created it at the same moment
            db.session.rollback()
            password = None
    if password is None:
        return None
    return write_first_admin_password(app.extensions["site"].instance_dir, password)


@contextlib.contextmanager
def _startup_lock():  # noqa: ANN202
    """On PostgreSQL, one starting process at a time migrates and syncs (gunicorn starts several at once).

    SQLite needs nothing: its migrations and sync already run under its single write lock.
    """
    if db.engine.dialect.name != "postgresql":
        yield
        return
    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(727010)"))  # an arbitrary, fixed key for mpp-queue
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(727010)"))
            conn.commit()
