"""Notices under load: does a slow provider slow the queue? And how fast does the sender drain?

Two real servers (``mpp-queue serve``, SQLite) on one site, each with ``--waiting`` tickets waiting (every third
with a phone): one with notices on, sending to the fake gateway (fakegateway/) that answers each message after
``--delay`` seconds, one with notices off. Clerk calls alternate between the two (same moment, same load on the
machine) while the first server's sender works through the ``issued`` messages; then it prints each server's
call-next p50/p99/max and the messages drained per second.

    .venv/bin/python bench/notify_load.py                    # 3,000 waiting, 1,000 phones, 3 s per message
    .venv/bin/python bench/notify_load.py --waiting 600 --calls 100 --delay 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.notifysite import FakeGateway, notify_server  # noqa: E402


def issue_all(server, n: int, phone_every: int) -> None:  # noqa: ANN001
    headers = {**server.kiosk_headers("K1")}
    session = requests.Session()

    def one(i: int) -> None:
        body = {"service": "PERIZINAN", "kiosk": "K1"}
        if i % phone_every == 0:
            body["phone"] = f"0812{i:08d}"
        r = session.post(server.url + "/api/tickets", json=body, headers=headers, timeout=30)
        r.raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiting", type=int, default=3000)
    parser.add_argument("--phone-every", type=int, default=3, help="every n-th ticket has a phone (3: a third)")
    parser.add_argument("--calls", type=int, default=200, help="call-next per server")
    parser.add_argument("--delay", type=float, default=3.0, help="seconds the provider takes per message")
    args = parser.parse_args()

    gateway = FakeGateway()
    gateway.set_mode("slow", delay=args.delay)
    work = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    from bench import PRODUCTION_ENV

    on = notify_server(work / "on", gateway, ahead_at=3, timeout=10, env=PRODUCTION_ENV)
    off = notify_server(work / "off", FakeGateway(), ahead_at=3, provider="", env=PRODUCTION_ENV)
    servers = {"notices on": on, "notices off": off}
    try:
        for server in servers.values():
            server.start(timeout=60)
        headers = {name: s.token() for name, s in servers.items()}
        t0 = time.monotonic()
        # the server with notices off first, so the other's sender starts draining right before the calls
        issue_all(off, args.waiting, args.phone_every)
        issue_all(on, args.waiting, args.phone_every)
        print(f"issued {args.waiting} tickets on each server in {time.monotonic() - t0:.1f} s "
              f"({args.waiting // args.phone_every} with a phone)")
        health = requests.get(on.url + "/api/notify/health", headers=headers["notices on"], timeout=30).json()
        backlog_start, sent_before = time.monotonic(), len(gateway.messages())
        print(f"after issuing: {sent_before} messages sent, {health['queued']} queued")
        latencies: dict[str, list[float]] = {name: [] for name in servers}
        session = requests.Session()
        for _ in range(args.calls):
            for name, server in servers.items():
                t = time.perf_counter()
                r = session.post(f"{server.url}/api/counters/L01/call-next", json={"finish_current": True},
                                 headers=headers[name], timeout=30)
                latencies[name].append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
        for name, values in latencies.items():
            print(f"call-next {name:12s}: p50 {statistics.median(values):6.1f} ms  p99 {percentile(values, 99):6.1f}"
                  f" ms  max {max(values):6.1f} ms  ({len(values)} calls, {args.waiting} waiting)")
        print(f"messages sent while the calls ran: {len(gateway.messages()) - sent_before}")
        while True:
            health = requests.get(on.url + "/api/notify/health", headers=headers["notices on"], timeout=30).json()
            if health["queued"] == 0:
                break
            time.sleep(0.2)
        seconds = time.monotonic() - backlog_start
        drained = len(gateway.messages()) - sent_before
        print(f"drained the backlog ({drained} messages at {args.delay:g} s each, calls' messages included) in "
              f"{seconds:.1f} s: {drained / seconds:.1f} messages/s")
    finally:
        for server in servers.values():
            server.stop()
        gateway.close()


if __name__ == "__main__":
    main()
