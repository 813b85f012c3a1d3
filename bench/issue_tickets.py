"""Issue tickets over HTTP against a running server and print tickets/s and latency percentiles.

    python bench/issue_tickets.py                      # starts its own server on SQLite
    python bench/issue_tickets.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/issue_tickets.py --url http://127.0.0.1:8000 --service PERIZINAN
    python bench/issue_tickets.py --via-nginx           # the same server direct and through docs/deploy.md's
                                                        # nginx (TLS), runs alternating: the proxy's cost

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


def _connect(url: str, cafile: str = "") -> http.client.HTTPConnection:
    """A keep-alive connection to ``url``'s server; over TLS (nginx) with ``cafile``'s certificate trusted."""
    u = urlparse(url)
    if u.scheme == "https":
        import ssl

        return http.client.HTTPSConnection(u.hostname, u.port, timeout=10,
                                           context=ssl.create_default_context(cafile=cafile or None))
    return http.client.HTTPConnection(u.hostname, u.port, timeout=10)


def _client_proc(url: str, service: str, threads: int, seconds: float, start_at: float, out,  # noqa: ANN001
                 kiosk_key: str = "", first: int = 0, cafile: str = "") -> None:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    services = service.split(",")

    def run(i: int) -> None:
        conn = _connect(url, cafile)
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
                conn = _connect(url, cafile)
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


def measure(url: str, service: str, clients: int, seconds: float, kiosk_key: str = "", cafile: str = "",
            server_pid: int | None = None) -> dict:
    procs_n = min(clients, 4)
    per = [clients // procs_n + (1 if i < clients % procs_n else 0) for i in range(procs_n)]
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 1.5
    procs = [ctx.Process(target=_client_proc,
                         args=(url, service, n, seconds, start_at, out, kiosk_key, sum(per[:i]), cafile))
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


HEADER = (f"{'clients':>7} {'tickets':>8} {'tickets/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6} "
          f"{'cpu ms/ticket':>13}")


def _row(r: dict, label: str = "") -> str:
    return (f"{r['clients']:>7} {r['tickets']:>8} {r['per_second']:>10.1f} {r['p50_ms']:>8.1f} "
            f"{r['p99_ms']:>8.1f} {r['max_ms']:>8.1f} {r['errors']:>6} {r['cpu_ms_per_ticket']:>13.2f}"
            + (f"  {label}" if label else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server; default: start one")
    ap.add_argument("--database-url", help="database for the server this script starts (default: SQLite file)")
    ap.add_argument("--service", default="PERIZINAN",
                    help="a service code, or several separated by commas: the clients take them in turn")
    ap.add_argument("--clients", default="1,10,50")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--kiosk-key", default="", help="key of kiosk K1 (mpp-queue kiosk key K1; with --url)")
    ap.add_argument("--ca-file", default="", help="certificate to trust for an https --url")
    ap.add_argument("--via-nginx", action="store_true",
                    help="also start Debian's nginx with docs/deploy.md's site file (TLS) in front of the server "
                         "this script starts, and measure direct and through nginx alternately")
    ap.add_argument("--rounds", type=int, default=2, help="with --via-nginx: direct/nginx pairs per client count")
    args = ap.parse_args()
    if args.via_nginx and args.url:
        ap.error("--via-nginx starts its own server: leave out --url")

    server = proxy = None
    url = args.url
    if not url:
        from bench import PRODUCTION_ENV
        from tests.helpers import TEST_SITE
        from tests.livesite import LiveServer

        # the per-kiosk limit would throttle a load test; every client connects from 127.0.0.1
        env = {**PRODUCTION_ENV, "MPP_QUEUE_RATELIMIT_TICKETS": "0", "MPP_QUEUE_CONNECTIONS_PER_ADDRESS": "0"}
        if args.database_url:
            env["MPP_QUEUE_DATABASE_URL"] = args.database_url
            _reset_postgres(args.database_url)
        # behind nginx the site believes its X-Forwarded-For (docs/deploy.md); direct requests carry none
        text = TEST_SITE + ("\n[server]\ntrusted_proxies = 1\n" if args.via_nginx else "")
        workdir = Path(tempfile.mkdtemp(prefix="mpp-bench-"))
        server = LiveServer(workdir, config_text=text, env=env).start()
        url = server.url
        args.kiosk_key = server.kiosk_key("K1")
        if args.via_nginx:
            from tests.nginx import Nginx

            proxy = Nginx(workdir / "nginx", [server.port]).start()
    db = "PostgreSQL" if args.database_url else ("SQLite" if server else "server at " + url)
    print(f"issue_tickets: {db}, one server process, {args.seconds:.0f} s per run"
          + (f"; direct {url} and through nginx {proxy.url} (TLS, docs/deploy.md), alternating" if proxy else ""))
    print(HEADER)
    # the server's CPU per ticket only when this script started it (its process is known); through nginx it is
    # the app server's alone
    pid = server.proc.pid if server and server.proc else None
    try:
        for n in (int(x) for x in args.clients.split(",")):
            if not proxy:
                print(_row(measure(url, args.service, n, args.seconds, args.kiosk_key, args.ca_file, pid)), flush=True)
                continue
            runs: dict[str, list[dict]] = {"direct": [], "nginx": []}
            for _ in range(args.rounds):
                for label, target, cafile in (("direct", url, ""), ("nginx", proxy.url, str(proxy.cert))):
                    r = measure(target, args.service, n, args.seconds, args.kiosk_key, cafile, pid)
                    runs[label].append(r)
                    print(_row(r, label), flush=True)
            rate = {k: statistics.mean(r["per_second"] for r in v) for k, v in runs.items()}
            p50 = {k: statistics.mean(r["p50_ms"] for r in v) for k, v in runs.items()}
            # each nginx run against the direct run just before it: a busy machine's drift cancels out
            pairs = sorted(b["per_second"] / a["per_second"] for a, b in zip(runs["direct"], runs["nginx"], strict=True))
            print(f"{n:>7} clients: through nginx {rate['nginx']:.1f} tickets/s vs direct {rate['direct']:.1f} "
                  f"(x{rate['nginx'] / rate['direct']:.2f}; pairs' median x{statistics.median(pairs):.2f}, "
                  f"x{pairs[0]:.2f}-x{pairs[-1]:.2f}); p50 {p50['nginx']:.1f} ms vs {p50['direct']:.1f} ms "
                  f"({p50['nginx'] - p50['direct']:+.1f} ms)", flush=True)
    finally:
        if proxy:
            proxy.stop()
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
