"""Numbering and calling under real concurrency: several processes on one SQLite file or PostgreSQL."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
import sqlalchemy as sa

from ..helpers import TEST_SITE

PROCESSES = 8
PER_PROCESS = 100


def _make_app(db_url: str, base: str):
    import tomllib

    from queue_app.core.config import TestConfig
    from queue_app.core.siteconfig import parse_site_config
    from queue_app.factory import create_app

    site = parse_site_config(tomllib.loads(TEST_SITE), base_dir=Path(base))
    return create_app(TestConfig, site=site, SQLALCHEMY_DATABASE_URI=db_url, HUB_INLINE_REFRESH=True)


def _issue_worker(db_url: str, base: str, n: int, start, out) -> None:  # noqa: ANN001
    from queue_app.core.extensions import db
    from queue_app.queue import operations

    app = _make_app(db_url, base)
    numbers = []
    with app.app_context():
        start.wait()
        for _ in range(n):
            ticket, _ = operations.issue_ticket("PERIZINAN")
            numbers.append(ticket.seq)
            db.session.commit()
    out.put(numbers)


def _call_worker(db_url: str, base: str, counter: str, start, out) -> None:  # noqa: ANN001
    from queue_app.core.extensions import db
    from queue_app.queue import operations

    app = _make_app(db_url, base)
    called = []
    with app.app_context():
        start.wait()
        while True:
            ticket = operations.call_next(counter, actor=None, finish_current=True)
            number = ticket.number if ticket else None
            db.session.commit()
            if number is None:
                break
            called.append(number)
        try:
            operations.finish(counter, actor=None)
            db.session.commit()
        except Exception:  # nothing current
            db.session.rollback()
    out.put(called)


def _prepare(db_url: str, base: str) -> None:
    from queue_app.core.apply_config import sync_site
    from queue_app.core.extensions import db

    app = _make_app(db_url, base)
    with app.app_context():
        db.drop_all()
        db.create_all()
        sync_site(app.extensions["site"])
        db.session.commit()
        db.engine.dispose()


def _run(target, args_list) -> list:  # noqa: ANN001
    ctx = mp.get_context("spawn")
    # a barrier, not an event the parent sets: a worker still importing the app would start late, and
    # one clerk could call all 60 tickets before the other was there (a CI run failed that way)
    start, out = ctx.Barrier(len(args_list), timeout=120), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, start, out)) for args in args_list]
    for p in procs:
        p.start()
    results = [out.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def _check_numbering(db_url: str, base: str) -> None:
    _prepare(db_url, base)
    results = _run(_issue_worker, [(db_url, base, PER_PROCESS)] * PROCESSES)
    seqs = sorted(s for r in results for s in r)
    assert seqs == list(range(1, PROCESSES * PER_PROCESS + 1))  # no duplicate, no gap
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        numbers = conn.execute(sa.text("SELECT number FROM tickets ORDER BY seq")).scalars().all()
    engine.dispose()
    assert numbers == [f"A-{i:03d}" for i in range(1, PROCESSES * PER_PROCESS + 1)]


def _check_racing_clerks(db_url: str, base: str) -> None:
    from queue_app.core.extensions import db
    from queue_app.queue import operations as queue_engine

    _prepare(db_url, base)
    app = _make_app(db_url, base)
    with app.app_context():
        for _ in range(60):
            queue_engine.issue_ticket("PERIZINAN")
        db.session.commit()
        db.engine.dispose()
    results = _run(_call_worker, [(db_url, base, "L01"), (db_url, base, "L02")])
    called = [n for r in results for n in r]
    assert len(called) == len(set(called)) == 60  # every ticket called exactly once
    assert all(r for r in results), [len(r) for r in results]  # both clerks got work


@pytest.mark.slow
def test_eight_processes_number_without_gaps_sqlite(tmp_path):
    _check_numbering(f"sqlite:///{tmp_path / 'n.db'}", str(tmp_path))


@pytest.mark.slow
@pytest.mark.postgres
def test_eight_processes_number_without_gaps_postgres(tmp_path, pg_url):
    _check_numbering(pg_url, str(tmp_path))


@pytest.mark.slow
def test_racing_clerks_never_get_the_same_ticket_sqlite(tmp_path):
    _check_racing_clerks(f"sqlite:///{tmp_path / 'c.db'}", str(tmp_path))


@pytest.mark.slow
@pytest.mark.postgres
def test_racing_clerks_never_get_the_same_ticket_postgres(tmp_path, pg_url):
    _check_racing_clerks(pg_url, str(tmp_path))




def test_a_priority_ticket_and_a_call_take_their_lines_rows_in_one_order_postgres(tmp_path, pg_url):
    """A clerk's call takes its line's version row (``moved``), then its count (at commit). A priority ticket
    being issued takes its count with its number, and moves the line too: it must take the version row
    first as well, or each could wait for the other's row and PostgreSQL would fail one as a deadlock."""
    import threading
    import time

    from queue_app.core.extensions import db
    from queue_app.core.models import Service
    from queue_app.queue import operations
    from queue_app.queue.models import QueueCount, QueueVersion

    from ..helpers import built_app, make_site

    with built_app(make_site(tmp_path), pg_url) as app:
        with app.app_context():
            operations.issue_ticket("PERIZINAN", priority=True)  # the line's version and count rows exist
            db.session.commit()
            sid = db.session.scalar(sa.select(Service.id).where(Service.code == "PERIZINAN"))
        errors: list[BaseException] = []

        def issue() -> None:
            with app.app_context():
                try:
                    operations.issue_ticket("PERIZINAN", priority=True)
                    db.session.commit()
                except BaseException as exc:  # noqa: BLE001 - reported by the test below
                    errors.append(exc)

        clerk_engine = sa.create_engine(pg_url)
        try:
            with clerk_engine.connect() as clerk, clerk_engine.connect() as watcher:
                clerk.execute(sa.text("SET lock_timeout = '5s'"))
                # a call's move: the version row, held to its commit
                clerk.execute(sa.update(QueueVersion).where(QueueVersion.service_id == sid)
                              .values(version=QueueVersion.version + 1))
                issuer = threading.Thread(target=issue)
                issuer.start()
                deadline = time.monotonic() + 10
                while not watcher.execute(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()")).scalar():
                    watcher.rollback()  # a fresh snapshot of the activity next time
                    assert time.monotonic() < deadline, "the priority ticket never waited for the version row"
                    time.sleep(0.01)
                # the call's commit: its line's count
                clerk.execute(sa.update(QueueCount).where(QueueCount.service_id == sid)
                              .values(waiting=QueueCount.waiting - 1))
                clerk.commit()
                issuer.join(10)
        finally:
            clerk_engine.dispose()
        assert not issuer.is_alive() and errors == []
