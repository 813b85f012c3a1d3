"""Numbering and calling under real concurrency: several processes on one SQLite file or PostgreSQL."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
import sqlalchemy as sa

from .helpers import TEST_SITE

PROCESSES = 8
PER_PROCESS = 100


def _make_app(db_url: str, base: str):
    import tomllib

    from queue_app import create_app
    from queue_app.core.config import TestConfig
    from queue_app.core.siteconfig import parse_site_config

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


