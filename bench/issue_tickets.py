"""Issue tickets over HTTP against a running server and print tickets/s and latency percentiles.

    python bench/issue_tickets.py                      # starts its own server on SQLite
    python bench/issue_tickets.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/issue_tickets.py --url http://127.0.0.1:8000 --service PERIZINAN

Target (issue 2), one server process on this 2-core machine: >= 300 tickets/s on SQLite and p99 <= 50 ms
with 10 concurrent clients. Clients run in separate processes so they do not share the server's GIL.
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


def _client_proc(url: str, service: str, threads: int, seconds: float, start_at: float, out,  # noqa: ANN001
                 kiosk_key: str = "", first: int = 0) -> None:
    u = urlparse(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    services = service.split(",")

    def run(i: int) -> None:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        # kiosk K1, with its key, as at a real site; client i of all takes the i-th service of the list in turn
        body = json.dumps({"service": services[i % len(services)], "kiosk": "K1"})
        mine: list[float] = []
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while time.time() < end:
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/tickets", body, {"Content-Type": "application/json",
                                                            "X-Kiosk-Key": kiosk_key})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 201
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            if ok:
                mine.append(time.perf_counter() - t0)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    ts = [threading.Thread(target=run, args=(first + i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((latencies, errors[0]))


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux /proc), or None."""
    if pid is None:
        return None
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url: str, service: str, clients: int, seconds: float, kiosk_key: str = "",
            server_pid: int | None = None) -> dict:
    procs_n = min(clients, 4)
    per = [clients // procs_n + (1 if i < clients % procs_n else 0) for i in range(procs_n)]
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 1.5
    procs = [ctx.Process(target=_client_proc, args=(url, service, n, seconds, start_at, out, kiosk_key, sum(per[:i])))
             for i, n in enumerate(per)]
    for p in procs:
        p.start()
    while time.time() < start_at:  # the server's CPU is counted over the run itself
        time.sleep(0.001)
    cpu_before = cpu_seconds(server_pid)
    lat: list[float] = []
    errors = 0
    for _ in procs:
        got, err = out.get(timeout=seconds + 60)
        lat.extend(got)
        errors += err
    cpu_after = cpu_seconds(server_pid)
    for p in procs:
        p.join()
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [float("nan")] * 99
    return {"clients": clients, "tickets": len(lat), "errors": errors, "per_second": len(lat) / seconds,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "max_ms": lat[-1] * 1000 if lat else float("nan"),
            "cpu_ms_per_ticket": ((cpu_after - cpu_before) * 1000 / len(lat)
                                  if cpu_before is not None and cpu_after is not None and lat else float("nan"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server; default: start one")
    ap.add_argument("--database-url", help="database for the server this script starts (default: SQLite file)")
    ap.add_argument("--service", default="PERIZINAN",
                    help="a service code, or several separated by commas: the clients take them in turn")
    ap.add_argument("--clients", default="1,10,50")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--kiosk-key", default="", help="key of kiosk K1 (mpp-queue kiosk key K1; with --url)")
    args = ap.parse_args()

    server = None
    url = args.url
    if not url:
        from tests.livesite import LiveServer

        env = {"MPP_QUEUE_RATELIMIT_TICKETS": "0"}  # the per-kiosk limit would throttle a load test
        if args.database_url:
            env["MPP_QUEUE_DATABASE_URL"] = args.database_url
            _reset_postgres(args.database_url)
        server = LiveServer(Path(tempfile.mkdtemp(prefix="mpp-bench-")), env=env).start()
        url = server.url
        args.kiosk_key = server.kiosk_key("K1")
    db = "PostgreSQL" if args.database_url else ("SQLite" if server else "server at " + url)
    print(f"issue_tickets: {db}, one server process, {args.seconds:.0f} s per run")
    # the server's CPU per ticket only when this script started it (its process is known)
    print(f"{'clients':>7} {'tickets':>8} {'tickets/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6} "
          f"{'cpu ms/ticket':>13}")
    pid = server.proc.pid if server and server.proc else None
    try:
        for n in (int(x) for x in args.clients.split(",")):
            r = measure(url, args.service, n, args.seconds, args.kiosk_key, pid)
            print(f"{r['clients']:>7} {r['tickets']:>8} {r['per_second']:>10.1f} {r['p50_ms']:>8.1f} "
                  f"{r['p99_ms']:>8.1f} {r['max_ms']:>8.1f} {r['errors']:>6} {r['cpu_ms_per_ticket']:>13.2f}",
                  flush=True)
    finally:
        if server:
            server.stop()


def _reset_postgres(url: str) -> None:
    """Start from an empty schema so the server's migrations build it."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    main()
