"""SQLite's writers in one process (issue 15): in turn on a lock, each commit's fsync off gevent's loop.

The lock is given back however a write transaction ends (commit, rollback, a connection handed back or
thrown away, a failed ``BEGIN IMMEDIATE``): a lock kept would stop every later writer of the process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest
import sqlalchemy as sa

from queue_app.core import database
from queue_app.core.database import begin_write
from queue_app.core.extensions import db

from .helpers import ROOT, take_ticket


@pytest.fixture
def quick(monkeypatch):
    """A writer that finds the lock kept fails in a second instead of fifteen."""
    monkeypatch.setattr(database, "WRITE_WAIT_SECONDS", 1.0)


def _write_once() -> None:
    begin_write()
    db.session.execute(sa.text("UPDATE settings SET value = value WHERE key = 'none'"))
    db.session.commit()


@pytest.mark.parametrize("end", ["commit", "rollback", "close", "invalidate"])
def test_every_way_a_write_transaction_ends_lets_the_next_writer_in(ctx, quick, end):
    for _ in range(3):
        begin_write()
        db.session.execute(sa.text("UPDATE settings SET value = value WHERE key = 'none'"))
        if end == "invalidate":
            db.session.connection().invalidate()
        getattr(db.session, end if end != "invalidate" else "rollback")()
        _write_once()  # would wait for the lock and fail with "database is locked"


def test_a_writer_that_cannot_begin_gives_the_lock_back(ctx, quick, app):
    other = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    other.execute("BEGIN IMMEDIATE")  # another process holds SQLite's write lock past the writer's patience
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _write_once()
        db.session.rollback()
    finally:
        other.rollback()
        other.close()
    _write_once()


def test_this_process_writers_wait_in_turn_without_spinning_on_sqlite(app, ctx):
    """A second writer waits on the process's lock, not in a loop of BEGIN IMMEDIATE that SQLite refuses."""
    attempts: list[str] = []

    @sa.event.listens_for(db.engine, "connect")
    def _trace(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.set_trace_callback(lambda sql: attempts.append(sql) if sql == "BEGIN IMMEDIATE" else None)

    db.engine.dispose()  # new connections, traced
    begin_write()  # this thread holds the write transaction
    db.session.execute(sa.text("UPDATE settings SET value = value WHERE key = 'none'"))
    done = threading.Event()

    def second() -> None:
        with app.app_context():
            _write_once()
        done.set()

    t = threading.Thread(target=second)
    t.start()
    assert not done.wait(0.3)  # it waits while this transaction is open ...
    assert attempts == ["BEGIN IMMEDIATE"]  # ... without knocking on SQLite's lock meanwhile
    db.session.commit()
    assert done.wait(10)
    t.join()
    assert attempts == ["BEGIN IMMEDIATE"] * 2
    sa.event.remove(db.engine, "connect", _trace)


_UNDER_GEVENT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import json, sqlite3, sys, tempfile, threading, tomllib
    from pathlib import Path
    import sqlalchemy as sa
    from queue_app import create_app
    from queue_app.core.apply_config import sync_site
    from queue_app.core.config import TestConfig
    from queue_app.core.extensions import db
    from queue_app.core.siteconfig import parse_site_config
    from tests.helpers import TEST_SITE, kiosk_key, take_ticket

    tmp = Path(tempfile.mkdtemp())
    site = parse_site_config(tomllib.loads(TEST_SITE), base_dir=tmp)
    path = tmp / "t.db"
    app = create_app(TestConfig, site=site, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    commits = []
    with app.app_context():
        db.create_all()
        sync_site(site)
        db.session.commit()

        @sa.event.listens_for(db.engine, "connect")
        def _trace(dbapi_conn, _record):
            def seen(sql):
                if sql == "COMMIT":
                    commits.append(threading.get_native_id())
            dbapi_conn.set_trace_callback(seen)

        db.engine.dispose()
    client = app.test_client()
    answers = []
    for _ in range(3):
        r = take_ticket(client, headers={"X-Kiosk-Key": kiosk_key(app)})
        # the 201 goes out after the commit: another connection reads the ticket at once
        with sqlite3.connect(path) as other:
            on_disk = other.execute("SELECT count(*) FROM tickets WHERE token = ?", (r.json["token"],)).fetchone()[0]
        answers.append([r.status_code, on_disk])
    print(json.dumps({"loop": threading.get_native_id(), "commits": commits, "answers": answers}))
""")


def test_under_gevent_a_commit_syncs_off_the_event_loop_and_answers_after(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _UNDER_GEVENT], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["answers"] == [[201, 1]] * 3
    # the kiosk key's own commit and the three tickets': each on a pool thread, none on the loop's
    assert len(got["commits"]) >= 3
    assert got["loop"] not in got["commits"]


def test_without_gevent_a_commit_stays_on_its_thread(client, app):
    """Tests and the CLI run without gevent: no thread pool there, the commit runs where it always did."""
    commits: list[int] = []
    with app.app_context():
        @sa.event.listens_for(db.engine, "connect")
        def _trace(dbapi_conn, _record):  # noqa: ANN001
            dbapi_conn.set_trace_callback(
                lambda sql: commits.append(threading.get_native_id()) if sql == "COMMIT" else None)

        db.engine.dispose()
    from .helpers import kiosk_headers

    assert take_ticket(client, headers=kiosk_headers(app)).status_code == 201
    assert commits and set(commits) == {threading.get_native_id()}
