"""What the burst benchmarks share: clients released at one instant, the servers they meet, the figures printed.

A burst is many visitors at once (a booking day opening, joining from afar at opening time). Each client is a
thread (in several processes, so the clients' own Python is not the bottleneck) running ``visit(n, conn)``: one
visitor's requests until it has an answer, returning ``(outcome, [request latencies])``. Printed per run: the
outcomes, the requests and their p50/p99, when the burst was over (every visitor answered), visitors answered per
second, the visitors' own p50/p99 (from release to their last answer: what a person waits, however many
requests it took), the servers' CPU time and how busy the whole box was (every core: servers, database, Redis and
the clients share it). A run on SQLite is one ``mpp-queue serve``; on PostgreSQL
``--servers`` processes sharing one Redis, as docs/deploy.md runs them.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

#: one visitor: (client number, connection) -> (outcome, each request's latency in seconds)
Visit = Callable[[int, http.client.HTTPConnection], tuple[str, list[float]]]


def _client_proc(visit: Visit, urls: list[str], threads: int, offset: int, start_at: float, out) -> None:  # noqa: ANN001
    results: list[tuple[str, list[float], float]] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        u = urlparse(urls[(offset + n) % len(urls)])
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        while time.time() < start_at:
            time.sleep(0.001)
        try:
            outcome, latencies = visit(offset + n, conn)
        except (OSError, http.client.HTTPException) as exc:
            outcome, latencies = f"error:{exc.__class__.__name__}", []
        done = time.time() - start_at
        with lock:
            results.append((outcome, latencies, done))

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(results)


def box_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy so far (every core; Linux /proc/stat): servers, database,
    Redis and the clients, which all share this box."""
    import os

    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]  # user nice system irq softirq
    return busy / os.sysconf("SC_CLK_TCK")


def _quantiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    if len(values) < 3:
        return float("nan"), float("nan")
    q = statistics.quantiles(values, n=100)
    return q[49], q[98]


@dataclass
class Result:
    kind: str
    outcomes: dict[str, int]
    requests: int
    seconds: float  # from release until the last visitor had its answer
    request_p50: float
    request_p99: float
    visitor_p50: float
    visitor_p99: float
    server_cpu: float
    box_cpu: float  # every core of the machine, busy, over the burst
    extra: dict = field(default_factory=dict)

    @property
    def visitors(self) -> int:
        return sum(self.outcomes.values())


def burst(visit: Visit, urls: list[str], clients: int, processes: int, server_pids: tuple[int, ...] = ()) -> Result:
    """Release ``clients`` visitors at once against ``urls`` (spread over them); ``server_pids``: the servers
    whose CPU time over the burst to count."""
    from bench.issue_tickets import cpu_seconds

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    offsets = [sum(per[:i]) for i in range(processes)]
    procs = [ctx.Process(target=_client_proc, args=(visit, urls, n, off, start_at, out))
             for n, off in zip(per, offsets, strict=True)]
    for p in procs:
        p.start()
    while time.time() < start_at:
        time.sleep(0.005)
    cpu_before = [cpu_seconds(pid) for pid in server_pids]
    box_before = box_cpu_seconds()
    outcomes: dict[str, int] = {}
    lat: list[float] = []
    done: list[float] = []
    for _ in procs:
        for outcome, latencies, at in out.get(timeout=600):
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            lat.extend(latencies)
            done.append(at)
    cpu = sum((cpu_seconds(pid) or 0) - (before or 0) for pid, before in zip(server_pids, cpu_before, strict=True))
    box = box_cpu_seconds() - box_before
    for p in procs:
        p.join()
    r50, r99 = _quantiles(lat)
    v50, v99 = _quantiles(done)
    return Result("", outcomes, len(lat), max(done, default=float("nan")), r50, r99, v50, v99, cpu, box)


def run_on(database_url: str | None, message_queue: str, servers_n: int, config_text: str, env: dict[str, str],
           prefix: str, run: Callable[[list, str], Result]) -> Result:
    """Start the servers (SQLite: one; PostgreSQL: ``servers_n`` on an emptied schema, sharing ``message_queue``)
    and hand them and the database's URL to ``run``."""
    from bench import PRODUCTION_ENV
    from bench.issue_tickets import _reset_postgres
    from tests.livesite import LiveServer

    base = Path(tempfile.mkdtemp(prefix=prefix))
    env = {**PRODUCTION_ENV, "MPP_QUEUE_CONNECTIONS_PER_ADDRESS": "0", **env}
    if database_url:
        env["MPP_QUEUE_DATABASE_URL"] = database_url
        _reset_postgres(database_url)
        if message_queue:
            env["MPP_QUEUE_MESSAGE_QUEUE"] = message_queue
    servers = []
    try:
        for i in range(servers_n if database_url else 1):
            servers.append(LiveServer(base / f"s{i}", config_text=config_text, env=env).start())
        result = run(servers, database_url or f"sqlite:///{base / 's0' / 'instance' / 'queue.db'}")
        result.kind = (f"PostgreSQL x{len(servers)}" + (" + Redis" if message_queue else "")) if database_url \
            else "SQLite x1"
        return result
    finally:
        for s in servers:
            s.stop()


HEADER = (f"{'database':<22} {'answered':>8} {'ok':>5} {'refused':>7} {'5xx':>4} {'other':>5} {'over':>5} "
          f"{'seconds':>7} {'visitors/s':>10} {'visitor p50/p99 ms':>19} {'requests':>8} {'req/s':>6} "
          f"{'request p50/p99 ms':>19} {'srv CPU s':>9} {'box busy':>8}")


def row(r: Result, over: int) -> str:
    o = r.outcomes
    other = sum(v for k, v in o.items() if k not in ("accepted", "refused", "5xx"))
    return (f"{r.kind:<22} {r.visitors:>8} {o.get('accepted', 0):>5} {o.get('refused', 0):>7} {o.get('5xx', 0):>4} "
            f"{other:>5} {over:>5} {r.seconds:>7.1f} {r.visitors / r.seconds:>10.0f} "
            f"{r.visitor_p50 * 1000:>9.0f}/{r.visitor_p99 * 1000:<9.0f} {r.requests:>8} {r.requests / r.seconds:>6.0f} "
            f"{r.request_p50 * 1000:>9.0f}/{r.request_p99 * 1000:<9.0f} {r.server_cpu:>9.1f} "
            f"{r.box_cpu / (r.seconds * (os.cpu_count() or 1)):>8.0%}")
