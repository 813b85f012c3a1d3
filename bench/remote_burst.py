"""A burst of visitors joining a line from afar: many phones race for one service's daily quota of remote places.

    python bench/remote_burst.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        --message-queue redis://127.0.0.1:6379/6 --servers 2 [--rounds 2]

Each round runs the burst on SQLite (one ``mpp-queue serve``) and then on PostgreSQL (``--servers`` processes
sharing ``--message-queue``), each on a fresh database, so both meet the same load on the same box. Each client
(threads in several processes, all released at one instant) sends one ``POST /api/tickets {"service",
"remote": true, "phone"}`` with its own phone number. Printed per run (bench/bursts.py): accepted, refused
(``remote_quota_full``), 5xx, the tickets from afar held in the database beyond the quota (must be 0), when the
burst was over, visitors answered per second, requests and their p50/p99 and the servers' CPU time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVICE = "NONIZIN"  # open at any hour in the test site
QUOTA = 300


def site_config() -> str:
    from tests.helpers import TEST_SITE

    marker = 'prefix = "B"\ntarget_wait_minutes = 10\n'
    assert marker in TEST_SITE
    return TEST_SITE.replace(marker, f"{marker}\n[services.remote]\ndaily_quota = {QUOTA}\n", 1)


def visit(n: int, conn: http.client.HTTPConnection) -> tuple[str, list[float]]:
    """One visitor: one join from afar with a phone of its own."""
    body = json.dumps({"service": SERVICE, "remote": True, "phone": f"0813{n:08d}"})
    t0 = time.perf_counter()
    conn.request("POST", "/api/tickets", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read() or b"null")
    latency = [time.perf_counter() - t0]
    if resp.status == 201:
        return "accepted", latency
    if resp.status >= 500:
        return "5xx", latency
    if resp.status == 409 and data["error"]["code"] == "remote_quota_full":
        return "refused", latency
    return f"http_{resp.status}:{(data or {}).get('error', {}).get('code')}", latency


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", help="PostgreSQL for the second run of each round (default: SQLite only)")
    ap.add_argument("--message-queue", default="", help="Redis URL shared by the PostgreSQL servers")
    ap.add_argument("--servers", type=int, default=2, help="server processes on PostgreSQL")
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--processes", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--only", choices=("sqlite", "postgresql"), help="run on one database only")
    args = ap.parse_args()

    from bench.bursts import HEADER, burst, row, run_on

    print(f"remote_burst: {args.clients} clients in {args.processes} processes join {SERVICE} from afar, "
          f"daily quota {QUOTA}; {args.rounds} round(s), SQLite then PostgreSQL in each")
    print(HEADER, flush=True)
    kinds = [None] + ([args.database_url] if args.database_url else [])
    if args.only:
        kinds = [k for k in kinds if (k is None) == (args.only == "sqlite")]
    env = {"MPP_QUEUE_RATELIMIT_TICKETS": "0"}
    for _ in range(args.rounds):
        for database_url in kinds:
            def run(servers: list, url: str) -> object:
                r = burst(visit, [s.url for s in servers], args.clients, args.processes,
                          tuple(s.proc.pid for s in servers if s.proc))
                r.extra["held"] = held_from_afar(url)
                return r

            r = run_on(database_url, args.message_queue, args.servers, site_config(), env, "mpp-remote-burst-", run)
            print(row(r, max(0, r.extra["held"] - QUOTA)) + f"  held {r.extra['held']}", flush=True)


if __name__ == "__main__":
    main()
