"""Turns (``queue_app.core.transactions.take_turn``): on PostgreSQL a process's kiosks reach a service's day-number
row one at a time, in the order they came, instead of queueing on the row lock, which PostgreSQL does not
serve in turn (ten kiosks on one service: p99 190 ms against p50 28 ms; docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest
import sqlalchemy as sa

from queue_app.core import database, transactions
from queue_app.core.extensions import db
from queue_app.queue import operations

from ..helpers import built_app, make_site

WAIT = 10.0  # seconds: only a broken turn (a deadlock) comes near it


def _lock_waiters() -> list[int]:
    """Backends of this database waiting on a lock (a row lock of another transaction)."""
    engine = db.engine
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalars().all()


def _second_kiosk(app, monkeypatch) -> tuple[threading.Thread, threading.Event, dict]:  # noqa: ANN001
    """Another kiosk issuing for the same service in a thread; the event is set when it asks for its turn."""
    asking, result = threading.Event(), {}
    real = operations.take_turn

    def announced(key):  # noqa: ANN001
        asking.set()
        real(key)

    monkeypatch.setattr(operations, "take_turn", announced)

    def run() -> None:
        with app.app_context():
            ticket, _ = operations.issue_ticket("PERIZINAN")
            result["seq"] = ticket.seq
            db.session.commit()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert asking.wait(WAIT)
    return thread, asking, result


@pytest.mark.postgres
def test_a_second_kiosk_waits_its_turn_in_the_process_not_on_the_row_lock(tmp_path, pg_url, monkeypatch):
    with built_app(make_site(tmp_path), pg_url) as app, app.app_context():
        first, _ = operations.issue_ticket("PERIZINAN")  # holds the day number's row (and its turn) until commit
        first_seq = first.seq
        thread, _, result = _second_kiosk(app, monkeypatch)
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:  # without the turn it would be queued on the row lock within ms
            assert _lock_waiters() == [], "the second kiosk waits in PostgreSQL's lock queue"
            time.sleep(0.02)
        assert thread.is_alive() and "seq" not in result  # it still waits for the first to commit
        db.session.commit()
        thread.join(WAIT)
        assert not thread.is_alive() and result["seq"] == first_seq + 1


@pytest.mark.postgres
def test_a_rolled_back_issue_gives_its_turn_and_its_number_on(tmp_path, pg_url, monkeypatch):
    with built_app(make_site(tmp_path), pg_url) as app, app.app_context():
        first, _ = operations.issue_ticket("PERIZINAN")
        first_seq = first.seq
        thread, _, result = _second_kiosk(app, monkeypatch)
        db.session.rollback()
        thread.join(WAIT)
        assert not thread.is_alive() and result["seq"] == first_seq  # the number was never given out


@pytest.mark.postgres
def test_a_writer_holding_a_turn_never_queues_for_another(tmp_path, pg_url):
    """Two writers each holding one turn and wanting the other's would wait on each other where PostgreSQL's
    deadlock detector cannot see them: the second turn is taken only if free, else the row lock decides."""
    with built_app(make_site(tmp_path), pg_url) as app:
        holding = threading.Event()
        release = threading.Event()

        def other() -> None:
            with app.app_context():
                database.begin_write()
                transactions.take_turn(("test", "b"))
                holding.set()
                release.wait(WAIT)
                db.session.rollback()

        thread = threading.Thread(target=other, daemon=True)
        thread.start()
        assert holding.wait(WAIT)
        with app.app_context():
            database.begin_write()
            transactions.take_turn(("test", "a"))
            started = time.monotonic()
            transactions.take_turn(("test", "b"))  # held by the other thread: not waited for
            assert time.monotonic() - started < 1.0
            assert len(db.session().info[transactions._HELD]) == 1
            db.session.rollback()
            assert transactions._HELD not in db.session().info  # given back with the transaction
        release.set()
        thread.join(WAIT)


def test_sqlite_takes_no_turns(app):
    with app.app_context():
        operations.issue_ticket("PERIZINAN")
        assert not db.session().info.get(transactions._HELD)
        db.session.commit()


def test_gevent_wakes_a_locks_waiters_in_the_order_they_came():
    """What the turns rest on: under ``mpp-queue serve`` (gevent's monkey patching) ``threading.Lock`` is
    gevent's lock, which hands itself on first come, first served."""
    script = textwrap.dedent("""
        from gevent import monkey
        monkey.patch_all()
        import random, threading
        import gevent
        lock, order = threading.Lock(), []
        lock.acquire()
        def waiter(n):
            lock.acquire()
            order.append(n)
            gevent.sleep(random.random() / 1000)
            lock.release()
        greenlets = []
        for n in range(20):
            greenlets.append(gevent.spawn(waiter, n))
            gevent.sleep(0)  # each one blocks on the lock before the next is spawned
        lock.release()
        gevent.joinall(greenlets, timeout=10)
        print(order)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == str(list(range(20)))
