"""Round trips to PostgreSQL (and Redis) per request: one booking, one slot list, one remote join.

    python bench/round_trips.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        [--redis-url redis://127.0.0.1:6379/8] [--rate-limits] [-v]

Builds the app in-process (the booking burst's site) on an emptied database, makes a few warm-up requests,
then counts, for one request of each kind, the statements sent to the database (counted at the driver, BEGIN, COMMIT and
ROLLBACK included: each is one round trip with psycopg) and the Redis commands (a pipeline counts once). ``-v``
prints the statements. A round trip is cheap alone; under a burst each one is a wait while locks are held.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Counter:
    def __init__(self) -> None:
        self.sql: list[str] = []
        self.redis: list[str] = []
        self.on = False

    def add_sql(self, text: str) -> None:
        if self.on:
            self.sql.append(" ".join(text.split())[:160])

    def add_redis(self, text: str) -> None:
        if self.on:
            self.redis.append(text[:160])

    def measure(self, label: str, call: Callable[[], object], verbose: bool) -> tuple[int, int]:
        self.sql, self.redis, self.on = [], [], True
        try:
            result = call()
        finally:
            self.on = False
        print(f"{label:<34} {len(self.sql):>3} SQL round trips  {len(self.redis):>2} Redis  -> {result}")
        if verbose:
            for s in self.sql:
                print("    sql  ", s)
            for r in self.redis:
                print("    redis", r)
        return len(self.sql), len(self.redis)


def _watch(counter: Counter) -> None:
    """Count at the driver (psycopg): every statement, whoever sends it; the BEGIN psycopg sends before a
    transaction's first one; a COMMIT or ROLLBACK only when a transaction is open (else nothing is sent)."""
    import psycopg
    from psycopg.pq import TransactionStatus

    execute, commit, rollback = psycopg.Cursor.execute, psycopg.Connection.commit, psycopg.Connection.rollback

    def counted_execute(self, query, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        conn = self.connection
        if not conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE:
            counter.add_sql("BEGIN")
        counter.add_sql(query if isinstance(query, str) else query.as_string(conn))
        return execute(self, query, *args, **kw)

    def ends(name: str, original):  # noqa: ANN001, ANN202
        def end(self):  # noqa: ANN001, ANN202
            if self.info.transaction_status != TransactionStatus.IDLE:
                counter.add_sql(name)
            return original(self)
        return end

    psycopg.Cursor.execute = counted_execute
    psycopg.Connection.commit = ends("COMMIT", commit)
    psycopg.Connection.rollback = ends("ROLLBACK", rollback)


def _watch_redis(counter: Counter) -> None:
    import redis

    plain, piped = redis.Redis.execute_command, redis.client.Pipeline.execute

    def execute_command(self, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        if not isinstance(self, redis.client.Pipeline):
            counter.add_redis(" ".join(map(str, args[:2])))
        return plain(self, *args, **kw)

    def execute(self, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        counter.add_redis(f"pipeline of {len(self.command_stack)}")
        return piped(self, *args, **kw)

    redis.Redis.execute_command = execute_command
    redis.client.Pipeline.execute = execute


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--redis-url", default="", help="the limiter's storage (else in memory)")
    ap.add_argument("--rate-limits", action="store_true", help="booking limits on (the burst turns them off)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    from bench.booking_burst import SERVICE, site_config
    from bench.issue_tickets import _reset_postgres
    from queue_app.core.apply_config import sync_site
    from queue_app.core.config import Config
    from queue_app.core.extensions import db
    from queue_app.factory import create_app
    from tests.helpers import make_site

    counter = Counter()
    _watch_redis(counter)
    _reset_postgres(args.database_url)
    marker = 'prefix = "B"\ntarget_wait_minutes = 10\n'  # NONIZIN, open at any hour: joined from afar
    text = site_config().replace(marker, f"{marker}\n[services.remote]\ndaily_quota = 1000\n", 1)
    site = make_site(Path(tempfile.mkdtemp(prefix="mpp-round-trips-")), text)
    overrides = {"SQLALCHEMY_DATABASE_URI": args.database_url, "RATELIMIT_BOOKINGS": args.rate_limits,
                 **({} if args.rate_limits else {"RATELIMIT_REMOTE_PER_ADDRESS": 0, "RATELIMIT_REMOTE_PER_PHONE": 0}),
                 "MIGRATE_ON_START": False, "SECRET_KEY": "round-trips"}
    if args.redis_url:
        overrides["RATELIMIT_STORAGE_URI"] = args.redis_url
    app = create_app(Config, site=site, **overrides)
    with app.app_context():
        db.create_all()
        sync_site(site)
        db.session.commit()
    _watch(counter)
    client = app.test_client()
    day = (datetime.now(site.tz).date() + timedelta(days=1)).isoformat()
    phone = iter(range(81200000000, 89999999999, 10007))  # a new phone range each time

    def slots() -> int:
        return client.get(f"/api/booking/slots?service={SERVICE}&date={day}").status_code

    def book(start: str, env: dict | None = None) -> int:
        return client.post("/api/bookings", json={"service": SERVICE, "date": day, "start": start,
                                                  "phone": f"0{next(phone)}"},
                           environ_base=env or {"REMOTE_ADDR": "127.0.0.1"}).status_code

    for _ in range(3):  # warm: the pool's connections, the services' cache, prepared statements
        slots(), book("08:00")
    counter.measure("GET /api/booking/slots", slots, args.verbose)
    counter.measure("POST /api/bookings (accepted)", lambda: book("09:00"), args.verbose)
    for _ in range(20):
        book("10:00", {"REMOTE_ADDR": f"10.1.{_}.1"})
    counter.measure("POST /api/bookings (slot full)", lambda: book("10:00", {"REMOTE_ADDR": "10.2.0.1"}),
                    args.verbose)
    remote = _remote_offered(site)
    if remote:

        def join() -> int:
            return client.post("/api/tickets", json={"service": remote, "remote": True, "phone": f"0{next(phone)}"},
                               environ_base={"REMOTE_ADDR": f"10.3.{next(phone) % 250}.1"}).status_code

        for _ in range(3):
            join()
        counter.measure("POST /api/tickets remote (accepted)", join, args.verbose)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _remote_offered(site) -> str | None:  # noqa: ANN001
    """The first service that lets visitors join from afar (``[services.remote]``), if this branch has it."""
    for service in getattr(site, "services", ()):
        if getattr(service, "remote", None) is not None:
            return service.code
    return None


if __name__ == "__main__":
    main()
