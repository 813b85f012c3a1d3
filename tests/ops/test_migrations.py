"""Alembic migrations build the same schema as the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from queue_app.core.config import TestConfig
from queue_app.core.extensions import db
from queue_app.factory import MIGRATIONS_DIR, create_app, use_migrations


@contextlib.contextmanager
def _empty_migrating_app(site, url: str):
    """In an app context on an emptied database (no tables, no alembic_version) that migrations will build."""
    app = create_app(TestConfig, site=site, SQLALCHEMY_DATABASE_URI=url)
    use_migrations(app)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        yield app


def _upgrade_and_diff(site, url: str) -> list:
    from flask_migrate import downgrade, upgrade

    with _empty_migrating_app(site, url):
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        _check_catalogue_triggers()
        _check_event_kinds()
        downgrade(directory=MIGRATIONS_DIR, revision="base")
        upgrade(directory=MIGRATIONS_DIR)
        db.session.remove()
        db.engine.dispose()
    return diff


def _check_catalogue_triggers() -> None:
    """The migrated database has what create_all gives: triggers that change the catalogue's token on any
    write to agencies, services or settings (a later SQLite batch migration of those tables drops them)."""
    from queue_app.core.database import WRITE_OPTION

    with db.engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        # a token from the start: a database upgraded with no change to these tables still keeps a catalogue
        tokens = [conn.execute(sa.text("SELECT token FROM catalogue_version")).scalar()]
        for sql in ("INSERT INTO agencies (code, name, active) VALUES ('X', 'X', :yes)",
                    "INSERT INTO services (code, agency_id, name, name_en, prefix, target_wait_minutes, daily_quota, "
                    "typical_service_seconds, position, active, closed_reason) "
                    "SELECT 'S', id, 'S', '', 'S', 15, 0, 300, 0, :yes, '' FROM agencies",
                    "UPDATE services SET name = 'T'", "DELETE FROM services", "UPDATE agencies SET name = 'Y'",
                    "INSERT INTO settings (key, value, updated_at) VALUES ('k', '1', CURRENT_TIMESTAMP)",
                    "UPDATE settings SET value = '2'", "DELETE FROM settings"):
            conn.execute(sa.text(sql), {"yes": True})
            tokens.append(conn.execute(sa.text("SELECT token FROM catalogue_version")).scalar())
        conn.execute(sa.text("DELETE FROM agencies"))
    assert None not in tokens and len(set(tokens)) == len(tokens), tokens


def _check_event_kinds() -> None:
    """The log's CHECK accepts every ``EventKind`` (alembic's comparison does not see a CHECK): a new kind
    needs a migration that widens it, or its first event fails on a migrated database."""
    from queue_app.core.database import WRITE_OPTION
    from queue_app.queue.models import EventKind

    with db.engine.execution_options(**{WRITE_OPTION: True}).connect() as conn:
        trans = conn.begin()
        conn.execute(sa.text("INSERT INTO agencies (code, name, active) VALUES ('X', 'X', :yes)"), {"yes": True})
        conn.execute(sa.text(
            "INSERT INTO services (code, agency_id, name, name_en, prefix, target_wait_minutes, daily_quota, "
            "typical_service_seconds, position, active, closed_reason) "
            "SELECT 'S', id, 'S', '', 'S', 15, 0, 300, 0, :yes, '' FROM agencies"), {"yes": True})
        conn.execute(sa.text(
            "INSERT INTO tickets (token, number, seq, service_day, issued_service_id, service_id, status, priority, "
            "issued_at, queue_at, recalls) SELECT 't', 'S-001', 1, '2026-12-07', id, id, 'waiting', :no, "
            "'2026-12-07 01:00:00', '2026-12-07 01:00:00', 0 FROM services"), {"no": False})
        for kind in EventKind:
            conn.execute(sa.text("INSERT INTO ticket_events (ticket_id, kind, at, service_id, details) "
                                 "SELECT id, :kind, '2026-12-07 01:00:00', service_id, '{}' FROM tickets"),
                         {"kind": kind.value})
        trans.rollback()


def test_migrations_match_models_sqlite(tmp_path, site):
    assert _upgrade_and_diff(site, f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_migrations_match_models_postgres(site, pg_url):
    assert _upgrade_and_diff(site, pg_url) == []


def test_a_start_migrates_only_a_schema_that_is_behind(tmp_path, site):
    """bootstrap() upgrades a new or older database, and knows a current one without Alembic."""
    from flask_migrate import upgrade

    from queue_app.startup import _schema_is_current, bootstrap

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    app = create_app(TestConfig, site=site, SQLALCHEMY_DATABASE_URI=url)
    use_migrations(app)
    with app.app_context():
        assert not _schema_is_current()  # a new database
        upgrade(directory=MIGRATIONS_DIR, revision="b00c14a1e5f2")  # one migration behind
        assert not _schema_is_current()
    bootstrap(app, migrate_db=True)
    with app.app_context():
        assert _schema_is_current()
        assert db.session.execute(sa.text("SELECT count(*) FROM queue_versions")).scalar_one() == 0
        db.session.remove()
        db.engine.dispose()


def test_a_restart_on_a_current_schema_does_not_load_alembic(tmp_path):
    """A serving process whose schema is current never imports Alembic (~11 MB of its memory)."""
    import subprocess
    import sys

    from ..helpers import TEST_SITE

    config = tmp_path / "config.toml"
    config.write_text(TEST_SITE + f'\n[server]\ndatabase_url = "sqlite:///{tmp_path / "q.db"}"\n')
    script = ("import sys\nfrom queue_app.factory import create_app\nfrom queue_app.startup import bootstrap\n"
              f"app = create_app(config_path={str(config)!r})\nbootstrap(app)\n"
              "print('alembic' in sys.modules)\n")
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert first.stdout.split()[-1] == "True"  # a new database: migrated
    assert again.stdout.split()[-1] == "False"


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_quota_count_of_joins_from_afar_is_carried_over(tmp_path, site, kind, request):
    """A day with joins from afar before the count moved onto the day's number row keeps them counted:
    otherwise that day's quota would start again from nothing."""
    from flask_migrate import upgrade

    url = request.getfixturevalue("pg_url") if kind == "postgres" else f"sqlite:///{tmp_path / 'q.db'}"
    with _empty_migrating_app(site, url):
        upgrade(directory=MIGRATIONS_DIR, revision="n1a2b3c4d5e6")  # the revision before the count
        from queue_app.core.database import WRITE_OPTION

        with db.engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
            conn.execute(sa.text("INSERT INTO agencies (code, name, active) VALUES ('X', 'X', :yes)"), {"yes": True})
            conn.execute(sa.text(
                "INSERT INTO services (code, agency_id, name, name_en, prefix, target_wait_minutes, daily_quota, "
                "typical_service_seconds, position, active, closed_reason) "
                "SELECT 'S', id, 'S', '', 'S', 15, 0, 300, 0, :yes, '' FROM agencies"), {"yes": True})
            for seq, code in enumerate([None, "ABC123", "DEF456", None, "GHJ789"], start=1):
                conn.execute(sa.text(
                    "INSERT INTO tickets (token, number, seq, service_day, issued_service_id, service_id, status, "
                    "priority, issued_at, queue_at, recalls, checkin_code) SELECT :token, :number, :seq, "
                    "'2026-12-07', id, id, 'waiting', :no, '2026-12-07 01:00:00', '2026-12-07 01:00:00', 0, :code "
                    "FROM services"), {"token": f"t{seq}", "number": f"S-{seq:03d}", "seq": seq, "no": False,
                                       "code": code})
            conn.execute(sa.text("INSERT INTO daily_numbers (service_id, service_day, last_number) "
                                 "SELECT id, '2026-12-07', 5 FROM services"))
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT last_number, remote FROM daily_numbers")).one() == (5, 3)
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.remove()
        db.engine.dispose()
