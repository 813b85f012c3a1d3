"""How good is the estimated wait? Replay simulated days through the real engine and compare.

    python bench/eta_accuracy.py                 # 3 days, seed 6
    python bench/eta_accuracy.py --days 5 --seed 11 --per-hour 40

Arrivals (Poisson, shaped by the hourly profile) and service times (log-normal) come from a fixed seed
(bench/simulate.py); counters call as soon as they are free, the visitor walks up in 30 s, a no-show is
given up after 90 s. A clerk has every counter open all day (its panel's presence is written at the opening,
as a connected panel's would be: queue_app/queue/presence.py), so the estimate counts every counter. Everything runs in-process on a temp SQLite file with the clock frozen and moved with
``clock.travel``, through the same engine verbs the API calls, so ``Ticket.estimated_wait_seconds`` is
exactly what the kiosk would have shown. The first day only warms up the service history the method
learns from; the figures cover the following days. Keep the seed when comparing two versions of
queue_app/queue/estimate.py and queue_app/queue/replay.py.
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import sys
import tempfile
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.simulate import TZ, arrivals  # noqa: E402

SITE = """
[site]
name = "MPP Simulasi"
timezone = "Asia/Jakarta"

[[agencies]]
code = "DPMPTSP"
name = "DPMPTSP"

[[agencies]]
code = "DISDUKCAPIL"
name = "Disdukcapil"

[[services]]
code = "PERIZINAN"
agency = "DPMPTSP"
name = "Perizinan"
prefix = "A"

[[services]]
code = "NONIZIN"
agency = "DPMPTSP"
name = "Non-perizinan"
prefix = "B"

[[services]]
code = "HALAL"
agency = "DPMPTSP"
name = "Halal"
prefix = "P"

[[services]]
code = "KTP"
agency = "DISDUKCAPIL"
name = "KTP-el"
prefix = "K"

[[counters]]
code = "L01"
name = "Loket 1"
services = ["PERIZINAN", "NONIZIN"]

[[counters]]
code = "L02"
name = "Loket 2"
services = ["NONIZIN", "PERIZINAN"]

[[counters]]
code = "L03"
name = "Loket 3"
services = ["HALAL"]

[[counters]]
code = "L04"
name = "Loket 4"
services = ["KTP"]

[[counters]]
code = "L05"
name = "Loket 5"
services = ["KTP"]
"""

#: Mean service seconds per service (the real pace the estimate has to learn)
MEANS = {"PERIZINAN": 420.0, "NONIZIN": 240.0, "HALAL": 300.0, "KTP": 300.0}
WALK = 30.0
GIVE_UP = 90.0
OPEN = time(8, 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--per-hour", type=float, default=30.0, help="mean arrivals per hour over all services")
    args = ap.parse_args()

    from queue_app.core import clock, signals
    from queue_app.core.apply_config import sync_site
    from queue_app.core.config import TestConfig
    from queue_app.core.extensions import db
    from queue_app.core.lookups import get_counter
    from queue_app.core.siteconfig import parse_site_config
    from queue_app.factory import create_app
    from queue_app.live import publisher
    from queue_app.queue import operations, presence, rollover
    from queue_app.queue.models import Ticket, TicketState

    tmp = Path(tempfile.mkdtemp(prefix="eta-"))
    site = parse_site_config(tomllib.loads(SITE), base_dir=tmp)
    app = create_app(TestConfig, site=site, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 'eta.db'}")
    signals.committed.disconnect(publisher.publish)  # nobody listens; keep the replay about the queue
    base = datetime(2026, 11, 2, tzinfo=UTC)
    clock.utcnow = lambda: base + clock._offset  # frozen; moved only by travel()

    def at(day: date, seconds: float) -> None:
        target = datetime.combine(day, OPEN, TZ) + timedelta(seconds=seconds)
        clock.travel(target - clock.utcnow())

    counters = {c.code: set(c.services) for c in site.counters}
    measured: list[tuple[int, float]] = []  # (estimate, real wait)
    per_service: dict[str, list[float]] = {}
    with app.app_context():
        db.create_all()
        sync_site(site)
        db.session.commit()
        for d in range(args.days):
            day = date(2026, 11, 2) + timedelta(days=d)
            at(day, -60)
            rollover.close_stale_tickets()
            db.session.commit()
            for code in counters:  # every clerk signs in at the opening and stays all day
                presence.arrive(get_counter(code), f"bench:{code}", user_id=None, ttl=timedelta(hours=14))
            db.session.commit()
            visitors = arrivals(args.seed * 1000 + d, MEANS, per_hour=args.per_hour)
            by_number: dict[str, object] = {}
            events: list[tuple[float, int, str, str | int]] = []
            seq = 0
            for i, v in enumerate(visitors):
                events.append((v.at, seq, "arrive", i))
                seq += 1
            heapq.heapify(events)
            idle = set(counters)

            def call(code: str, now: float, idle: set = idle, by_number: dict = by_number,
                     events: list = events) -> None:
                nonlocal seq
                ticket = operations.call_next(code, actor=None)
                db.session.commit()
                if ticket is None:
                    idle.add(code)
                    return
                idle.discard(code)
                v = by_number[ticket.number]
                if v.no_show:
                    heapq.heappush(events, (now + GIVE_UP, seq, "no_show", code))
                else:
                    heapq.heappush(events, (now + WALK, seq, "start", code))
                    heapq.heappush(events, (now + WALK + v.service_seconds, seq + 1, "finish", code))
                seq += 2

            while events:
                now, _, kind, what = heapq.heappop(events)
                at(day, now)
                if kind == "arrive":
                    v = visitors[what]
                    ticket, _ = operations.issue_ticket(v.service, priority=v.priority)
                    db.session.commit()
                    by_number[ticket.number] = v
                    for code in sorted(idle):
                        if v.service in counters[code]:
                            call(code, now)
                            break
                elif kind == "start":
                    operations.start_serving(what, actor=None)
                    db.session.commit()
                else:
                    (operations.no_show if kind == "no_show" else operations.finish)(what, actor=None)
                    db.session.commit()
                    call(what, now)
            if d == 0:
                continue
            rows = db.session.execute(
                db.select(Ticket.estimated_wait_seconds, Ticket.issued_at, Ticket.called_at, Ticket.number)
                .where(Ticket.service_day == day, Ticket.called_at.is_not(None),
                       Ticket.status != TicketState.cancelled)).all()
            for est, issued, called, number in rows:
                if est is not None:
                    real = (called - issued).total_seconds()
                    measured.append((est, real))
                    per_service.setdefault(by_number[number].service, []).append(abs(est - real))

    if not measured:
        print("nothing measured (use --days 2 or more)")
        return 1
    errors = [est - real for est, real in measured]
    absolute = sorted(abs(e) for e in errors)
    waits = [real for _, real in measured]
    mean_wait = statistics.fmean(waits)
    naive = statistics.fmean(abs(w - mean_wait) for w in waits)
    p90 = absolute[min(len(absolute) - 1, -(-9 * len(absolute) // 10) - 1)]
    print(f"tickets measured: {len(measured)} over {args.days - 1} day(s) after 1 warm-up day "
          f"(seed {args.seed}, {args.per_hour:g}/h)")
    print(f"real wait: mean {mean_wait / 60:.1f} min, median {statistics.median(waits) / 60:.1f} min, "
          f"max {max(waits) / 60:.1f} min")
    print(f"estimate error: MAE {statistics.fmean(absolute) / 60:.2f} min, median |err| "
          f"{statistics.median(absolute) / 60:.2f} min, p90 |err| {p90 / 60:.2f} min, "
          f"bias {statistics.fmean(errors) / 60:+.2f} min (positive = estimate too long)")
    within = sum(1 for e in absolute if e <= 300) / len(absolute)
    print("MAE per service: " + ", ".join(f"{k} {statistics.fmean(v) / 60:.1f} min (n={len(v)})"
                                          for k, v in sorted(per_service.items())))
    print(f"within ±5 min: {within * 100:.1f} %;  for scale, always guessing the mean wait: MAE {naive / 60:.2f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
