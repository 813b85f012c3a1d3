"""Scale-out: several server processes on one PostgreSQL and one Redis, deployed as docs/deploy.md says.

Starts ``--procs`` gunicorn processes (one gevent worker each, ``gunicorn.conf.py``) on their own ports, all
sharing PostgreSQL (numbers, ``seq``, everything) and the Redis message queue (a call made through one
process reaches the sockets of every other). The schema is built once by ``mpp-queue db upgrade`` before
any server starts. Then:

- latency: N Socket.IO clients (hall displays and visitors' ticket pages) spread round-robin over the
  processes and M clerk calls alternating between them; the time from the clerk's HTTP request to each
  client's receipt of its event (bench/call_latency.py's clients and report: p50/p99/max, delivered/expected);
- memory: RSS of every server process (VmRSS/VmHWM of the gunicorn worker from /proc, no psutil);
- throughput: tickets/s issued through one process, then with the clients split over two
  (bench/issue_tickets.py's measure).

    .venv/bin/python bench/scale_out.py                          # 2 processes, 2000 clients, 20 calls
    .venv/bin/python bench/scale_out.py --procs 2 --clients 200 --calls 5 --issue-seconds 3
    .venv/bin/python bench/scale_out.py --procs 2 --clients 2000 --calls 20 --interval 0.5 --client-procs 4 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/scaleout \\
        --redis-url redis://127.0.0.1:6379/14 --issue-seconds 10 --issue-clients 10

The database of ``--database-url`` is created when missing and WIPED (schema ``public`` dropped); the Redis
index of ``--redis-url`` is flushed. Redis pub/sub ignores the index: no other mpp-queue site may publish
on the same Redis server while this runs (its calls would reach these clients).

Targets, two processes on this 2-core machine with 2,000 clients: every call delivered, p99 <= 100 ms;
tickets/s with two processes higher than with one.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/scaleout"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"

from bench.cluster import Servers, flush_redis, reset_database  # noqa: E402

# --- the driver ----------------------------------------------------------------------------------


def latency_run(args: argparse.Namespace, servers: Servers, token: str, kiosk_key: str, tmp: Path) -> dict:
    """bench/call_latency.py's run: clients spread over the processes, calls alternating between them."""
    import requests

    from bench.call_latency import CLIENTS, _interleave, report

    urls = servers.urls
    sessions = [requests.Session() for _ in urls]
    headers = {"Authorization": f"Bearer {token}"}
    kiosk = {"X-Kiosk-Key": kiosk_key}
    ticket = {"service": args.service.split(",")[0], "kiosk": "K1"}
    n_tickets = round(args.clients * args.ticket_share)
    n_displays = args.clients - n_tickets
    # fillers are called; the watched tickets wait behind them, so every call moves each one's ``ahead``
    t0 = time.time()
    issued = []
    for i in range(args.calls + 1 + n_tickets):  # round-robin over the processes
        r = sessions[i % len(urls)].post(urls[i % len(urls)] + "/api/tickets", json=ticket, headers=kiosk,
                                         timeout=10)
        r.raise_for_status()
        issued.append(r.json())
    watched = issued[args.calls + 1:]
    print(f"issued {len(issued)} tickets through {len(urls)} processes in {time.time() - t0:.1f}s")
    sessions[0].post(f"{urls[0]}/api/counters/{args.counter}/call-next", json={"finish_current": True},
                     headers=headers, timeout=10).raise_for_status()  # clear the counter

    # ticket pages count their place from queue_moved like the visitor page (--plain-tickets: each is sent
    # its own view per move, the contract's plain client)
    moves = {} if args.plain_tickets else {"moves": True}
    clients = _interleave([["/display", {"zone": args.zone}]] * n_displays,
                          [["/ticket", {"token": t["token"], **moves}] for t in watched])
    per_server = [clients[s::len(urls)] for s in range(len(urls))]  # round-robin by URL
    n_workers = max(args.client_procs, len(urls))
    server_of = [w % len(urls) for w in range(n_workers)]  # each client process talks to one server
    stop = tmp / "stop"
    specs = []
    for w in range(n_workers):
        s = server_of[w]
        mine = [x for x in range(n_workers) if server_of[x] == s]
        share = per_server[s][mine.index(w)::len(mine)]
        spec = {"url": urls[s], "deflate": args.deflate, "clients": share, "ready": str(tmp / f"ready{w}"),
                "stop": str(stop), "result": str(tmp / f"result{w}.json")}
        (tmp / f"spec{w}.json").write_text(json.dumps(spec))
        specs.append(spec)
    rss_before = servers.rss()
    workers: list[subprocess.Popen] = []
    try:
        for w in range(n_workers):
            workers.append(subprocess.Popen([sys.executable, str(CLIENTS), str(tmp / f"spec{w}.json")]))
        deadline = time.time() + 120 + args.clients / 20
        states: list[dict | None] = [None] * n_workers
        while time.time() < deadline:
            for w in range(n_workers):
                with contextlib.suppress(OSError, ValueError):  # not written yet, or caught mid-write
                    states[w] = json.loads((tmp / f"ready{w}").read_text())
            done = sum(s["connected"] + s["refused"] + s["errors"] for s in states if s)
            if all(states) and done >= len(clients):
                break
            if any(p.poll() is not None for p in workers):
                raise RuntimeError("a client process exited early")
            time.sleep(0.5)
        by_server = [sum(states[w]["connected"] for w in range(n_workers) if states[w] and server_of[w] == s)
                     for s in range(len(urls))]
        print(f"connected {sum(by_server)}/{len(clients)} clients ({n_displays} displays, "
              f"{n_tickets} ticket pages) in {n_workers} client processes; per server process: "
              + ", ".join(f":{servers.ports[s]} {by_server[s]}" for s in range(len(urls))))
        time.sleep(2)
        rss_idle = servers.rss()
        sent: list[tuple[str, float]] = []
        for k in range(args.calls):
            i = k % len(urls)  # calls alternate between the processes
            start = time.time()
            r = sessions[i].post(f"{urls[i]}/api/counters/{args.counter}/call-next",
                                 json={"finish_current": True}, headers=headers, timeout=10)
            r.raise_for_status()
            sent.append((r.json()["ticket"]["number"], start))
            time.sleep(args.interval)
        time.sleep(3)
        rss_after = servers.rss()
        stop.write_text("stop")
        for p in workers:
            p.wait(60)
        results = [json.loads((tmp / f"result{w}.json").read_text()) for w in range(n_workers)]
    finally:
        stop.write_text("stop")
        for p in workers:
            if p.poll() is None:
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)
    # report() prints; its text is kept to check the targets
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        report(args, sent, results, {}, {}, {})  # the RSS of every process is printed below instead
    text = buf.getvalue()
    print(text, end="")
    return {"text": text, "rss": (rss_before, rss_idle, rss_after)}


def print_rss(servers: Servers, before: list, idle: list, after: list, end: list) -> None:
    def mb(d: dict, key: str = "VmRSS") -> str:
        return f"{d[key] / 1024:.0f}" if d.get(key) else "?"

    print("server RSS (MB, gunicorn worker):  before clients  clients idle  after calls  after issuing  peak")
    for i, pid in enumerate(servers.workers):
        print(f"  :{servers.ports[i]} pid {pid:<7} {mb(before[i]):>20} {mb(idle[i]):>13} {mb(after[i]):>12} "
              f"{mb(end[i]):>14} {mb(end[i], 'VmHWM'):>5}")


def issue_runs(args: argparse.Namespace, servers: Servers, kiosk_key: str) -> list[dict]:
    """bench/issue_tickets.py's measure through 1 process, then 2 (then all), the clients split over them."""
    import threading

    from bench.issue_tickets import measure

    counts = sorted({1, min(2, len(servers.urls)), len(servers.urls)})
    print(f"ticket issue throughput: {args.service}, {args.issue_clients} clients in all, "
          f"{args.issue_seconds:.0f} s per run (p50/p99/max: the worst process)")
    print(f"{'procs':>5} {'clients':>9} {'tickets':>8} {'tickets/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'errors':>6}")
    rows = []
    for k in counts:
        per = [args.issue_clients // k + (1 if i < args.issue_clients % k else 0) for i in range(k)]
        got: list[dict | None] = [None] * k
        failed: list[BaseException] = []

        def run(i: int, n: int, got: list = got, failed: list = failed) -> None:
            try:
                got[i] = measure(servers.urls[i], args.service, n, args.issue_seconds, kiosk_key)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                failed.append(exc)

        threads = [threading.Thread(target=run, args=(i, n)) for i, n in enumerate(per) if n]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failed:
            raise failed[0]
        parts = [g for g in got if g]
        row = {"procs": k, "clients": "+".join(str(n) for n in per),
               "tickets": sum(g["tickets"] for g in parts), "per_second": sum(g["per_second"] for g in parts),
               "errors": sum(g["errors"] for g in parts),
               **{q: max(g[q] for g in parts) for q in ("p50_ms", "p99_ms", "max_ms")}}
        rows.append(row)
        print(f"{row['procs']:>5} {row['clients']:>9} {row['tickets']:>8} {row['per_second']:>10.1f} "
              f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['max_ms']:>8.1f} {row['errors']:>6}",
              flush=True)
    return rows


def check_targets(report_text: str, rows: list[dict]) -> None:
    m = re.search(r"delivered/expected: (\d+)/(\d+)", report_text)
    p99 = re.search(r"(?m)^all\s.*?p99\s+([\d.]+) ms", report_text)
    if m and p99:
        ok = int(m.group(1)) == int(m.group(2)) and float(p99.group(1)) <= 100
        print(f"target every call delivered, p99 <= 100 ms: {'met' if ok else 'NOT met'} "
              f"({m.group(1)}/{m.group(2)}, p99 {p99.group(1)} ms)")
    else:
        print("target every call delivered, p99 <= 100 ms: cannot tell (no delivered/p99 line from report())")
    one = next((r for r in rows if r["procs"] == 1), None)
    two = next((r for r in rows if r["procs"] == 2), None)
    if one and two:
        a, b = one["per_second"], two["per_second"]
        print(f"target tickets/s with 2 processes > with 1: {'met' if b > a else 'NOT met'} "
              f"({b:.1f} vs {a:.1f}, x{b / max(a, 1e-9):.2f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--procs", type=int, default=2, help="server processes (gunicorn, 1 worker each)")
    ap.add_argument("--clients", type=int, default=2000, help="Socket.IO clients over all server processes")
    ap.add_argument("--ticket-share", type=float, default=0.5, help="share of clients that are ticket pages")
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between calls")
    ap.add_argument("--client-procs", type=int, default=4, help="client processes (at least --procs)")
    ap.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                    help="PostgreSQL; created if missing, WIPED")
    ap.add_argument("--redis-url", default=DEFAULT_REDIS_URL,
                    help="Redis for the message queue; its index is FLUSHED")
    ap.add_argument("--issue-seconds", type=float, default=10.0, help="seconds per ticket throughput run")
    ap.add_argument("--issue-clients", type=int, default=10, help="ticket clients per throughput run")
    ap.add_argument("--counter", default="L01")
    ap.add_argument("--zone", default="lantai-1")
    ap.add_argument("--service", default="PERIZINAN",
                    help="the issue runs' service, or several separated by commas: the clients take them in turn "
                         "(the calls take the first)")
    ap.add_argument("--deflate", action="store_true", help="clients offer permessage-deflate like a browser")
    ap.add_argument("--plain-tickets", action="store_true",
                    help="ticket pages as plain clients (each sent its view per move) instead of counting")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (config, server logs) at the end")
    args = ap.parse_args()
    if args.procs < 1:
        ap.error("--procs must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still runs the finally: below

    import shutil

    import sqlalchemy as sa

    print(f"scale_out: {args.procs} gunicorn processes (one gevent worker each), "
          f"PostgreSQL {sa.make_url(args.database_url).render_as_string(hide_password=True)}, "
          f"Redis {args.redis_url}")
    reset_database(args.database_url)
    flush_redis(args.redis_url)
    tmp = Path(tempfile.mkdtemp(prefix="scale-out-"))
    servers = Servers(tmp, args.procs, args.database_url, args.redis_url)
    ok = False
    try:
        t0 = time.time()
        servers.start()
        print(f"servers up in {time.time() - t0:.1f}s: " + ", ".join(
            f"{u} (worker pid {w})" for u, w in zip(servers.urls, servers.workers, strict=True)))
        token = servers.admin_token()
        kiosk_key = servers.cli("kiosk", "key", "K1")
        lat = latency_run(args, servers, token, kiosk_key, tmp)
        rows = issue_runs(args, servers, kiosk_key)
        print_rss(servers, *lat["rss"], servers.rss())
        check_targets(lat["text"], rows)
        ok = True
    finally:
        servers.stop()
        if not ok:
            for i in range(len(servers.masters)):
                tail = "\n".join(servers.log(i).splitlines()[-20:])
                print(f"--- {servers.log_path(i)} (last 20 lines)\n{tail}", file=sys.stderr)
        if ok and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=sys.stderr)


if __name__ == "__main__":
    main()
