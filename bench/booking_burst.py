"""A booking burst: many clients race for one popular service's places tomorrow; none may be overbooked.

    python bench/booking_burst.py                   # one `mpp-queue serve` on SQLite
    python bench/booking_burst.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        --message-queue redis://127.0.0.1:6379/6 --servers 2 [--rounds 3]

With ``--database-url`` each round runs the burst on SQLite, then on PostgreSQL (``--servers`` processes sharing
``--message-queue``), each on a fresh database, so both meet the same load on the same box in the same hour.
Each client (threads in several processes, all released at one instant) reads tomorrow's slots and books the
first one with places left (everyone wants the earliest: the worst case); on ``slot_full`` it tries the first
of the next free slots the answer offers, as the booking page does, until it has a place or none is left.
Printed (bench/bursts.py): accepted, refused (no place left), 5xx, overbooked places (bookings beyond
``per_slot`` in any slot, counted in the database: must be 0), when the burst was over, visitors answered per
second and each visitor's wait, the booking requests and their p50/p99, the servers' CPU time.
How many requests a burst takes depends on how the crowd meets full slots (each refusal is one more request),
so compare the time until every visitor is answered, not requests per second alone.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVICE = "PERIZINAN"
PER_SLOT = 20
#: 08:00-15:30 in half hours = 15 slots x 20 = 300 places
HOURS = "08:00-15:30"


def site_config() -> str:
    from tests.helpers import TEST_SITE

    return TEST_SITE.replace('''target_wait_minutes = 15
''', f'''target_wait_minutes = 15
hours = "{HOURS}"

[services.booking]
slot_minutes = 30
per_slot = {PER_SLOT}
days_ahead = 7
''', 1)


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: dict | None = None,  # noqa: ANN202
             headers: dict | None = None):
    conn.request(method, path, json.dumps(body) if body is not None else None,
                 {**({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})})
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, (json.loads(data) if data else None)


def client_source(n: int, networks: int) -> tuple[dict, dict]:
    """Client ``n``'s headers and booking fields: with ``networks``, its own address (X-Forwarded-For, behind a
    trusted proxy) in one of that many /24 networks and its own phone in a range of its own; else nothing (every
    client is 127.0.0.1 without a phone, the shares lifted)."""
    if not networks:
        return {}, {}
    net = n % networks
    return ({"X-Forwarded-For": f"10.{net // 250}.{net % 250}.{n // networks + 1}"},
            {"phone": f"0812{n:05d}{n % 10000:04d}"})


def visit(day: str, networks: int, n: int, conn: http.client.HTTPConnection) -> tuple[str, list[float]]:
    """One visitor: the day's slots, then a booking, following the offers of each full slot."""
    import time

    headers, fields = client_source(n, networks)
    latencies: list[float] = []
    status, slots = _request(conn, "GET", f"/api/booking/slots?service={SERVICE}&date={day}", headers=headers)
    if status >= 500:
        return "5xx", latencies
    free = [s["start"] for s in slots if s["available"] > 0] if status == 200 else []
    for _ in range(50):
        if not free:
            break
        t0 = time.perf_counter()
        status, body = _request(conn, "POST", "/api/bookings",
                                {"service": SERVICE, "date": day, "start": free[0], **fields}, headers)
        latencies.append(time.perf_counter() - t0)
        if status == 201:
            return "accepted", latencies
        if status >= 500:
            return "5xx", latencies
        if status != 409 or body["error"]["code"] != "slot_full":
            return f"http_{status}", latencies
        # like the booking page: a full slot offers the next ones that still have places
        free = body["error"]["next_free"]
    return "refused", latencies


def overbooked(database_url: str, day: str) -> tuple[int, int]:
    """(places booked beyond per_slot, bookings held) for ``day``, counted in the database itself."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT b.start, count(*) FROM bookings b JOIN services s ON s.id = b.service_id "
            "WHERE s.code = :svc AND b.day = :day AND b.status IN ('booked', 'checked_in') GROUP BY b.start"),
            {"svc": SERVICE, "day": date.fromisoformat(day)}).all()
    engine.dispose()
    return sum(max(0, n - PER_SLOT) for _, n in rows), sum(n for _, n in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", help="PostgreSQL for the second run of each round (default: SQLite only)")
    ap.add_argument("--message-queue", default="", help="Redis URL shared by the PostgreSQL servers")
    ap.add_argument("--servers", type=int, default=2, help="server processes on PostgreSQL")
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--processes", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--only", choices=("sqlite", "postgresql"), help="run on one database only")
    ap.add_argument("--networks", type=int, default=0,
                    help="the booking limits on: each client with its own address in one of this many /24 networks "
                         "(behind a trusted proxy) and its own phone (default: all from 127.0.0.1, limits lifted)")
    args = ap.parse_args()

    from bench.bursts import HEADER, burst, row, run_on

    day = (datetime.now(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=1)).isoformat()
    env = {} if args.networks else {"MPP_QUEUE_RATELIMIT_BOOKINGS": "0"}  # else every client is 127.0.0.1
    config = site_config() + ("\n[server]\ntrusted_proxies = 1\n" if args.networks else "")
    print(f"booking_burst: {args.clients} clients in {args.processes} processes, {SERVICE} on {day}: "
          f"{PER_SLOT} places x 15 slots = {PER_SLOT * 15}; "
          + (f"limits on, {args.networks} networks, a phone each" if args.networks else "limits lifted")
          + f"; {args.rounds} round(s)")
    print(HEADER, flush=True)
    kinds = [None] + ([args.database_url] if args.database_url else [])
    if args.only:
        kinds = [k for k in kinds if (k is None) == (args.only == "sqlite")]
    for _ in range(args.rounds):
        for database_url in kinds:
            def run(servers: list, url: str) -> object:
                r = burst(functools.partial(visit, day, args.networks), [s.url for s in servers], args.clients,
                          args.processes, tuple(s.proc.pid for s in servers if s.proc))
                r.extra["over"], r.extra["held"] = overbooked(url, day)
                return r

            r = run_on(database_url, args.message_queue, args.servers, config, env, "mpp-booking-burst-", run)
            print(row(r, r.extra["over"]) + f"  held {r.extra['held']}", flush=True)


if __name__ == "__main__":
    main()
