"""A burst of visitors joining a line from afar: many phones race for one service's daily quota of remote places.

    python bench/remote_burst.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        --message-queue redis://127.0.0.1:6379/6 --servers 2 [--rounds 2]

Each round runs the burst on SQLite (one ``mpp-queue serve``) and then on PostgreSQL (``--servers`` processes
sharing ``--message-queue``), each on a fresh database, so both meet the same load on the same box. Each client
(threads in several processes, all released at one instant) sends one ``POST /api/tickets {"service",
"remote": true, "phone"}`` with its own phone number. Printed per run: accepted, refused (``remote_quota_full``),
5xx, the tickets from afar held in the database beyond the quota (must be 0), requests, seconds, requests/s,
p50/p99 and the servers' CPU time.
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
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVICE = "NONIZIN"  # open at any hour in the test site
QUOTA = 300


def site_config() -> str:
    from tests.helpers import TEST_SITE

    marker = 'prefix = "B"\ntarget_wait_minutes = 10\n'
    assert marker in TEST_SITE
    return TEST_SITE.replace(marker, f"{marker}\n[services.remote]\ndaily_quota = {QUOTA}\n", 1)


def _client_proc(urls: list[str], threads: int, offset: int, start_at: float, out) -> None:  # noqa: ANN001
    results: list[tuple[str, float]] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        u = urlparse(urls[(offset + n) % len(urls)])
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        body = json.dumps({"service": SERVICE, "remote": True, "phone": f"0813{offset + n:08d}"})
        while time.time() < start_at:
            time.sleep(0.001)
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/api/tickets", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = json.loads(resp.read() or b"null")
            if resp.status == 201:
                outcome = "accepted"
            elif resp.status >= 500:
                outcome = "5xx"
            elif resp.status == 409 and data["error"]["code"] == "remote_quota_full":
                outcome = "refused"
            else:
                outcome = f"http_{resp.status}:{(data or {}).get('error', {}).get('code')}"
        except (OSError, http.client.HTTPException) as exc:
            outcome = f"error:{exc.__class__.__name__}"
        with lock:
            results.append((outcome, time.perf_counter() - t0))

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(results)


def burst(urls: list[str], clients: int, processes: int, server_pids: tuple[int, ...]) -> dict:
    from bench.issue_tickets import cpu_seconds

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    offsets = [sum(per[:i]) for i in range(processes)]
    procs = [ctx.Process(target=_client_proc, args=(urls, n, off, start_at, out))
             for n, off in zip(per, offsets, strict=True)]
    for p in procs:
        p.start()
    while time.time() < start_at:
        time.sleep(0.005)
    cpu_before = [cpu_seconds(pid) for pid in server_pids]
    outcomes: dict[str, int] = {}
    lat: list[float] = []
    for _ in procs:
        for outcome, latency in out.get(timeout=600):
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            lat.append(latency)
    seconds = time.time() - start_at
    cpu = sum((cpu_seconds(pid) or 0) - (before or 0) for pid, before in zip(server_pids, cpu_before, strict=True))
    for p in procs:
        p.join()
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [float("nan")] * 99
    return {"outcomes": outcomes, "requests": len(lat), "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000,
            "seconds": seconds, "server_cpu_s": cpu}


def held_from_afar(database_url: str) -> int:
    """Tickets joined from afar for the service, whatever their day (a fresh database per run)."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(
            "SELECT count(*) FROM tickets t JOIN services s ON s.id = t.issued_service_id "
            "WHERE s.code = :svc AND t.checkin_code IS NOT NULL"), {"svc": SERVICE}).scalar_one()
    engine.dispose()
    return int(n)


def run_once(database_url: str | None, message_queue: str, servers_n: int, clients: int, processes: int) -> dict:
    from tests.livesite import LiveServer

    base = Path(tempfile.mkdtemp(prefix="mpp-remote-burst-"))
    from bench import PRODUCTION_ENV

    env = {**PRODUCTION_ENV, "MPP_QUEUE_RATELIMIT_TICKETS": "0", "MPP_QUEUE_CONNECTIONS_PER_ADDRESS": "0"}
    if database_url:
        env["MPP_QUEUE_DATABASE_URL"] = database_url
        from bench.issue_tickets import _reset_postgres

        _reset_postgres(database_url)
        if message_queue:
            env["MPP_QUEUE_MESSAGE_QUEUE"] = message_queue
    servers = []
    try:
        for i in range(servers_n if database_url else 1):
            servers.append(LiveServer(base / f"s{i}", config_text=site_config(), env=env).start())
        r = burst([s.url for s in servers], clients, processes, tuple(s.proc.pid for s in servers if s.proc))
        url = database_url or f"sqlite:///{base / 's0' / 'instance' / 'queue.db'}"
        r["held"] = held_from_afar(url)
        r["kind"] = (f"PostgreSQL x{len(servers)}" + (" + Redis" if message_queue else "")) if database_url \
            else "SQLite x1"
        return r
    finally:
        for s in servers:
            s.stop()


HEADER = (f"{'database':<22} {'accepted':>8} {'refused':>7} {'5xx':>4} {'other':>6} {'held':>5} {'over':>5} "
          f"{'requests':>8} {'seconds':>7} {'req/s':>6} {'p50 ms':>8} {'p99 ms':>8} {'srv CPU s':>9}")


def row(r: dict) -> str:
    o = r["outcomes"]
    other = sum(v for k, v in o.items() if k not in ("accepted", "refused", "5xx"))
    return (f"{r['kind']:<22} {o.get('accepted', 0):>8} {o.get('refused', 0):>7} {o.get('5xx', 0):>4} {other:>6} "
            f"{r['held']:>5} {max(0, r['held'] - QUOTA):>5} {r['requests']:>8} {r['seconds']:>7.1f} "
            f"{r['requests'] / r['seconds']:>6.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['server_cpu_s']:>9.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", help="PostgreSQL for the second run of each round (default: SQLite only)")
    ap.add_argument("--message-queue", default="", help="Redis URL shared by the PostgreSQL servers")
    ap.add_argument("--servers", type=int, default=2, help="server processes on PostgreSQL")
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--processes", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    print(f"remote_burst: {args.clients} clients in {args.processes} processes join {SERVICE} from afar, "
          f"daily quota {QUOTA}; {args.rounds} round(s), SQLite then PostgreSQL in each")
    print(HEADER, flush=True)
    for _ in range(args.rounds):
        print(row(run_once(None, "", 1, args.clients, args.processes)), flush=True)
        if args.database_url:
            print(row(run_once(args.database_url, args.message_queue, args.servers, args.clients, args.processes)),
                  flush=True)


if __name__ == "__main__":
    main()
