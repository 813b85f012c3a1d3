"""A booking burst: many clients race for one popular service's places tomorrow; none may be overbooked.

    python bench/booking_burst.py                   # one `mpp-queue serve` on SQLite
    python bench/booking_burst.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --message-queue redis://127.0.0.1:6379/6 --servers 2

Each client (threads in several processes, all released at one instant) reads tomorrow's slots and books the
first one with places left (everyone wants the earliest: the worst case); on ``slot_full`` it tries the first
of the next free slots the answer offers, as the booking page does, until it has a place or none is left. Printed: accepted, refused (no place left), 5xx, overbooked places (bookings beyond
``per_slot`` in any slot, counted in the database: must be 0) and the booking requests' p50/p99.
Target (issue 14) on this 2-core box: 0 overbooked, 0 5xx, p99 <= 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse
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


def _client_proc(urls: list[str], day: str, threads: int, offset: int, start_at: float, out,  # noqa: ANN001
                 networks: int = 0) -> None:
    results: list[tuple[str, list[float]]] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        u = urlparse(urls[(offset + n) % len(urls)])
        headers, fields = client_source(offset + n, networks)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        latencies: list[float] = []
        outcome = "refused"
        while time.time() < start_at:
            time.sleep(0.001)
        try:
            status, slots = _request(conn, "GET", f"/api/booking/slots?service={SERVICE}&date={day}",
                                     headers=headers)
            free = [s["start"] for s in slots if s["available"] > 0] if status == 200 else []
            outcome = "5xx" if status >= 500 else outcome
            for _ in range(50):
                if not free:
                    break
                t0 = time.perf_counter()
                status, body = _request(conn, "POST", "/api/bookings",
                                        {"service": SERVICE, "date": day, "start": free[0], **fields}, headers)
                latencies.append(time.perf_counter() - t0)
                if status == 201:
                    outcome = "accepted"
                    break
                if status >= 500:
                    outcome = "5xx"
                    break
                if status != 409 or body["error"]["code"] != "slot_full":
                    outcome = f"http_{status}"
                    break
                # like the booking page: a full slot offers the next ones that still have places
                free = body["error"]["next_free"]
        except (OSError, http.client.HTTPException) as exc:
            outcome = f"error:{exc.__class__.__name__}"
        with lock:
            results.append((outcome, latencies))

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(results)


def burst(urls: list[str], day: str, clients: int, processes: int, networks: int = 0,
          server_pids: tuple[int, ...] = ()) -> dict:
    """The burst; ``server_pids``: the servers whose CPU time over the burst to count."""
    from bench.issue_tickets import cpu_seconds

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    offsets = [sum(per[:i]) for i in range(processes)]
    procs = [ctx.Process(target=_client_proc, args=(urls, day, n, off, start_at, out, networks)) for n, off in zip(per, offsets, strict=True)]
    for p in procs:
        p.start()
    while time.time() < start_at:
        time.sleep(0.005)
    cpu_before = [cpu_seconds(pid) for pid in server_pids]
    outcomes: dict[str, int] = {}
    lat: list[float] = []
    for _ in procs:
        for outcome, latencies in out.get(timeout=600):
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            lat.extend(latencies)
    seconds = time.time() - start_at
    cpu = sum((cpu_seconds(pid) or 0) - (before or 0) for pid, before in zip(server_pids, cpu_before, strict=True))
    for p in procs:
        p.join()
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [float("nan")] * 99
    return {"outcomes": outcomes, "requests": len(lat), "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000,
            "max_ms": lat[-1] * 1000 if lat else float("nan"), "seconds": seconds, "server_cpu_s": cpu}


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
    ap.add_argument("--database-url", help="PostgreSQL for the servers (default: a SQLite file, one server)")
    ap.add_argument("--message-queue", default="", help="Redis URL shared by several servers")
    ap.add_argument("--servers", type=int, default=1)
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--processes", type=int, default=5)
    ap.add_argument("--networks", type=int, default=0,
                    help="the booking limits on: each client with its own address in one of this many /24 networks "
                         "(behind a trusted proxy) and its own phone (default: all from 127.0.0.1, limits lifted)")
    args = ap.parse_args()

    from tests.livesite import LiveServer

    base = Path(tempfile.mkdtemp(prefix="mpp-booking-burst-"))
    from bench import PRODUCTION_ENV

    env = {**PRODUCTION_ENV, "MPP_QUEUE_CONNECTIONS_PER_ADDRESS": "0"}
    if not args.networks:
        env["MPP_QUEUE_RATELIMIT_BOOKINGS"] = "0"  # every client comes from 127.0.0.1
    if args.database_url:
        env["MPP_QUEUE_DATABASE_URL"] = args.database_url
        from bench.issue_tickets import _reset_postgres

        _reset_postgres(args.database_url)
    if args.message_queue:
        env["MPP_QUEUE_MESSAGE_QUEUE"] = args.message_queue
    servers = []
    try:
        for i in range(args.servers):
            servers.append(LiveServer(base / f"s{i}", env=env, config_text=site_config()
                                      + ("\n[server]\ntrusted_proxies = 1\n" if args.networks else "")).start())
        database_url = args.database_url or f"sqlite:///{base / 's0' / 'instance' / 'queue.db'}"
        day = (datetime.now(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=1)).isoformat()
        kind = "PostgreSQL" + (" + Redis" if args.message_queue else "") if args.database_url else "SQLite"
        print(f"booking_burst: {kind}, {args.servers} server process(es), {args.clients} clients in "
              f"{args.processes} processes, {SERVICE} on {day}: {PER_SLOT} places x 15 slots = {PER_SLOT * 15}; "
              + (f"limits on, {args.networks} networks, a phone each" if args.networks else "limits lifted"))
        r = burst([s.url for s in servers], day, args.clients, args.processes, args.networks,
                  tuple(s.proc.pid for s in servers if s.proc))
        over, held = overbooked(database_url, day)
        o = r["outcomes"]
        other = {k: v for k, v in o.items() if k not in ("accepted", "refused", "5xx")}
        print(f"accepted {o.get('accepted', 0)}  refused {o.get('refused', 0)}  5xx {o.get('5xx', 0)}  "
              f"other {other or 0}  held in db {held}  overbooked {over}")
        print(f"booking requests {r['requests']}  p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
              f"max {r['max_ms']:.1f} ms  burst over in {r['seconds']:.1f} s  "
              f"({r['requests'] / r['seconds']:.0f} req/s; servers' CPU {r['server_cpu_s']:.1f} s)")
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
