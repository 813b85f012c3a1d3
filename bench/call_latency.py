"""Call latency: N Socket.IO clients (hall displays and visitors' ticket pages) and M clerk calls.

Measures the time from the clerk's HTTP request to each client's receipt of the event it must get:
displays the ``called`` event, ticket pages their new ``ahead`` (counted from the line's ``queue_moved``
like the visitor page, or with ``--plain-tickets`` from their own ``ticket`` view). Prints
p50/p99/max, delivered/expected and the server's RSS (VmRSS/VmHWM from /proc, no psutil).

    .venv/bin/python bench/call_latency.py                       # starts its own server (SQLite)
    .venv/bin/python bench/call_latency.py --clients 1000 --calls 20 --procs 4
    .venv/bin/python bench/call_latency.py --url http://127.0.0.1:8000 --pid 1234 --token T

The clients (bench/socket_clients.py) speak Engine.IO v4 / Socket.IO v5 over WebSocket only, one epoll
loop per process, split over several processes. ``--deflate`` makes them offer permessage-deflate like
browsers do; the server must decline it (docs/socketio.md), or they fail.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the client processes (bench/socket_clients.py)
CLIENTS = Path(__file__).resolve().parent / "socket_clients.py"


# --- the server ----------------------------------------------------------------------------------


def _first_password(app, password_file: Path) -> str:  # noqa: ANN001
    """The generated admin password, changed (it must be, before its tokens work) to one the bench prints."""
    import sqlalchemy as sa

    from queue_app.core.extensions import db
    from queue_app.staff.models import User
    from queue_app.staff.password import change_password

    generated = password_file.read_text().split("password: ", 1)[1].split()[0]
    with app.app_context():
        change_password(db.session.scalar(sa.select(User).where(User.username == "admin")), generated,
                        generated + "-bench")
        db.session.commit()
    return generated + "-bench"


def serve_child(config: str, port: int) -> None:
    """``mpp-queue serve`` with the per-address ticket rate limit off (the bench issues many tickets)."""
    from gevent import monkey

    monkey.patch_all()
    from queue_app.factory import create_app
    from queue_app.ops.server import serve
    from queue_app.startup import bootstrap

    app = create_app(config_path=config, RATELIMIT_TICKETS_PER_KIOSK=0)
    password_file = bootstrap(app, migrate_db=True)
    password = _first_password(app, password_file)
    print(f"ADMIN_PASSWORD={password}", flush=True)
    trace_to = os.environ.get("BENCH_TRACEMALLOC")  # a path: where the memory goes, written on SIGUSR1
    if trace_to:
        import signal
        import tracemalloc

        tracemalloc.start(12)
        baseline = tracemalloc.take_snapshot()

        def where(*_):  # noqa: ANN002
            stats = tracemalloc.take_snapshot().compare_to(baseline, "traceback")
            with open(trace_to, "w") as out:
                for stat in stats[:25]:
                    out.write(f"{stat.size_diff / 1024:.0f} KiB in {stat.count_diff} blocks\n")
                    out.writelines(f"    {line}\n" for line in stat.traceback.format()[-12:])

        signal.signal(signal.SIGUSR1, where)
    gc_to = os.environ.get("BENCH_GC")  # a path: one line per collection of generation 1 or 2 and its pause
    if gc_to:
        import gc

        started = {}

        def pause(phase: str, info: dict) -> None:
            if phase == "start":
                started["t"] = time.perf_counter()
            elif info["generation"] > 0:
                with open(gc_to, "a") as out:
                    out.write(f"{time.time():.3f} gen{info['generation']} {(time.perf_counter() - started['t']) * 1000:.1f} ms "
                              f"collected {info['collected']}\n")

        gc.callbacks.append(pause)
    profile_to = os.environ.get("BENCH_PROFILE")  # a path: cProfile the server, written on SIGTERM
    if profile_to:
        import cProfile
        import signal

        prof = cProfile.Profile()

        def dump(*_):  # noqa: ANN002
            prof.disable()
            prof.dump_stats(profile_to)
            os._exit(0)

        signal.signal(signal.SIGTERM, dump)
        prof.enable()
    serve(app, "127.0.0.1", port)


def start_server(workdir: Path) -> tuple[subprocess.Popen, str, str, str]:
    import requests

    sys.path.insert(0, str(ROOT))
    from tests.helpers import TEST_SITE
    from tests.livesite import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = workdir / "config.toml"
    config.write_text(TEST_SITE.replace('base_url = "http://mpp.test"', f'base_url = "{url}"'))
    # the schema first, as docs/deploy.md deploys a release: a server that migrates in-process keeps Alembic
    # (~11 MB) for its whole life, which a production server, started on a current schema, never loads
    subprocess.run([sys.executable, "-m", "queue_app", "--config", str(config), "db", "upgrade"], cwd=workdir,
                   capture_output=True, check=True)
    log = open(workdir / "server.log", "w")  # noqa: SIM115 - the server writes to it until it stops
    # a thousand displays from one address: the per-address socket cap is off
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MPP_QUEUE_SOCKETS_PER_ADDRESS": "0",
           "MPP_QUEUE_CONNECTIONS_PER_ADDRESS": "0"}
    proc = subprocess.Popen([sys.executable, __file__, "serve-child", str(config), str(port)], cwd=workdir,
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    for _ in range(300):
        try:
            if requests.get(url + "/api/health", timeout=1).status_code in (200, 503):
                break
        except requests.RequestException:
            time.sleep(0.1)
    text = (workdir / "server.log").read_text()
    if "ADMIN_PASSWORD=" not in text:
        raise SystemExit(f"server did not start:\n{text}")
    password = text.split("ADMIN_PASSWORD=", 1)[1].split()[0]
    token = requests.post(url + "/api/auth/token", json={"username": "admin", "password": password},
                          timeout=5).json()["token"]
    # tickets come from kiosk K1, with its key, as at a real site
    kiosk_key = subprocess.run([sys.executable, "-m", "queue_app", "--config", str(config), "kiosk", "key", "K1"],
                               cwd=workdir, capture_output=True, text=True, check=True).stdout.strip()
    return proc, url, token, kiosk_key


def rss_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


# --- the driver ----------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server (default: start one on SQLite in a temp dir)")
    ap.add_argument("--pid", type=int, help="the running server's pid, for its RSS")
    ap.add_argument("--token", help="bearer token of a user who may call at --counter (with --url)")
    ap.add_argument("--kiosk-key", help="key of kiosk K1 (mpp-queue kiosk key K1; with --url)")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--ticket-share", type=float, default=0.5, help="share of clients that are ticket pages")
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between calls")
    ap.add_argument("--procs", type=int, default=4, help="client processes")
    ap.add_argument("--counter", default="L01")
    ap.add_argument("--zone", default="lantai-1")
    ap.add_argument("--service", default="PERIZINAN")
    ap.add_argument("--deflate", action="store_true", help="offer permessage-deflate like a browser")
    ap.add_argument("--verbose", action="store_true", help="also print each call's slowest display")
    ap.add_argument("--plain-tickets", action="store_true",
                    help="ticket pages as plain clients (each sent its view per move) instead of counting")
    args = ap.parse_args()

    import requests

    tmp = Path(tempfile.mkdtemp(prefix="call-latency-"))
    proc = None
    if args.url:
        url, token, pid, kiosk_key = args.url.rstrip("/"), args.token, args.pid, args.kiosk_key
    else:
        proc, url, token, kiosk_key = start_server(tmp)
        pid = proc.pid
    headers = {"Authorization": f"Bearer {token}"}
    kiosk = {"X-Kiosk-Key": kiosk_key or ""}
    ticket = {"service": args.service, "kiosk": "K1"}
    http = requests.Session()
    try:
        n_tickets = round(args.clients * args.ticket_share)
        n_displays = args.clients - n_tickets
        # fillers are called; the watched tickets wait behind them, so every call moves each one's ``ahead``
        t0 = time.time()
        for _ in range(args.calls + 1):
            http.post(url + "/api/tickets", json=ticket, headers=kiosk, timeout=10).raise_for_status()
        watched = []
        for _ in range(n_tickets):
            r = http.post(url + "/api/tickets", json=ticket, headers=kiosk, timeout=10)
            r.raise_for_status()
            watched.append(r.json())
        print(f"issued {args.calls + 1 + n_tickets} tickets in {time.time() - t0:.1f}s")
        # clear the counter
        http.post(f"{url}/api/counters/{args.counter}/call-next", json={"finish_current": True}, headers=headers,
                  timeout=10).raise_for_status()
        # ticket pages count their place from queue_moved like the visitor page (--plain-tickets: the
        # contract's plain client, sent its own view after every move)
        moves = {} if args.plain_tickets else {"moves": True}
        clients = [["/display", {"zone": args.zone}]] * n_displays + [["/ticket", {"token": t["token"], **moves}]
                                                                    for t in watched]
        clients = _interleave(clients[:n_displays], clients[n_displays:])  # every process holds both kinds
        stop = tmp / "stop"
        workers = []
        for w in range(args.procs):
            share = clients[w::args.procs]
            spec = {"url": url, "deflate": args.deflate, "clients": share, "ready": str(tmp / f"ready{w}"),
                    "stop": str(stop), "result": str(tmp / f"result{w}.json")}
            (tmp / f"spec{w}.json").write_text(json.dumps(spec))
            workers.append(subprocess.Popen([sys.executable, str(CLIENTS), str(tmp / f"spec{w}.json")]))
        rss_before = rss_kb(pid) if pid else {}
        deadline = time.time() + 120
        while time.time() < deadline:
            states = [json.loads(p.read_text()) for p in (tmp / f"ready{w}" for w in range(args.procs))
                      if p.exists() and p.read_text()]
            connected = sum(s["connected"] for s in states)
            if len(states) == args.procs and connected + sum(s["refused"] + s["errors"] for s in states) >= len(
                    clients):
                break
            time.sleep(0.5)
        print(f"connected {connected}/{len(clients)} clients ({n_displays} displays, {n_tickets} ticket pages) "
              f"in {args.procs} processes")
        time.sleep(2)
        rss_idle = rss_kb(pid) if pid else {}
        if os.environ.get("BENCH_TRACEMALLOC") and pid:
            import signal

            os.kill(pid, signal.SIGUSR1)
            time.sleep(5)
        sent: list[tuple[str, float]] = []
        for _ in range(args.calls):
            start = time.time()
            r = http.post(f"{url}/api/counters/{args.counter}/call-next", json={"finish_current": True},
                          headers=headers, timeout=10)
            r.raise_for_status()
            sent.append((r.json()["ticket"]["number"], start))
            time.sleep(args.interval)
        time.sleep(3)
        rss_after = rss_kb(pid) if pid else {}
        stop.write_text("stop")
        for p in workers:
            p.wait(60)
        results = [json.loads((tmp / f"result{w}.json").read_text()) for w in range(args.procs)]
        report(args, sent, results, rss_before, rss_idle, rss_after)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)


def _interleave(a: list, b: list) -> list:
    out = []
    for i in range(max(len(a), len(b))):
        out += a[i:i + 1] + b[i:i + 1]
    return out


def report(args, sent, results, rss_before, rss_idle, rss_after) -> None:  # noqa: ANN001
    start_of = {number: t for number, t in sent}
    lat_display: list[float] = []
    lat_ticket: list[float] = []
    expected = delivered = 0
    errors = [e for r in results for e in r["errors"]]
    for r in results:
        for c in r["clients"]:
            if c["ns"] == "/display":
                expected += len(sent)
                got = {e[1]: e[2] for e in c["events"] if e[0] == "called"}
                for number, t in start_of.items():
                    if number in got:
                        delivered += 1
                        lat_display.append((got[number] - t) * 1000)
            else:
                # call k (1-based) leaves this ticket with ahead0 - k people ahead
                expected += len(sent)
                seen = [e for e in c["events"] if e[0] == "ticket"]
                if not seen:
                    continue
                a0 = seen[0][2]  # the view sent on connect
                first_seen: dict[int, float] = {}
                for _kind, _status, ahead, t in seen[1:]:
                    first_seen.setdefault(ahead, t)
                for k, (_number, t) in enumerate(sent, start=1):
                    if a0 - k in first_seen:
                        delivered += 1
                        lat_ticket.append((first_seen[a0 - k] - t) * 1000)
    both = lat_display + lat_ticket
    if getattr(args, "verbose", False):
        worst: dict[str, float] = {}
        for r in results:
            for c in r["clients"]:
                for e in c["events"]:
                    if e[0] == "called" and e[1] in start_of:
                        worst[e[1]] = max(worst.get(e[1], 0.0), (e[2] - start_of[e[1]]) * 1000)
        print("slowest display per call (ms):", " ".join(f"{worst.get(n, float('nan')):.0f}" for n, _ in sent))
    print(f"calls: {len(sent)}  interval {args.interval}s  deflate offered: {args.deflate}")
    gaps = sum(r.get("gaps", 0) for r in results)
    print(f"delivered/expected: {delivered}/{expected}  client errors: {len(errors)}  version gaps (re-synced): {gaps}")
    for e in errors[:5]:
        print("  ", e)
    for name, lat in (("displays (called)", lat_display), ("ticket pages (ticket)", lat_ticket), ("all", both)):
        if lat:
            print(f"{name:24s} p50 {statistics.median(lat):6.1f} ms  p99 {pct(lat, 99):6.1f} ms  "
                  f"max {max(lat):6.1f} ms  (n={len(lat)})")
    if rss_after:
        print(f"server RSS: before clients {rss_before.get('VmRSS', 0) / 1024:.0f} MB, "
              f"with clients idle {rss_idle.get('VmRSS', 0) / 1024:.0f} MB, "
              f"after calls {rss_after.get('VmRSS', 0) / 1024:.0f} MB, peak {rss_after.get('VmHWM', 0) / 1024:.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve-child":
        serve_child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
