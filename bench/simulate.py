"""Synthetic MPP days, shared by the benchmarks and the screenshot seeding.

* ``site_toml(agencies)``: a config.toml with ``agencies`` offices, 2-3 services each, one counter per service.
* ``bulk_history(conn, first, last, per_day, seed)``: past days of finished tickets and their event log,
  bulk-inserted with SQLAlchemy core ``executemany`` (not through the engine: a year takes seconds).
* ``arrivals(seed, ...)``: one day's arrivals and service times from a fixed seed, for replays through
  the real engine (``bench/eta_accuracy.py``).
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

TZ = ZoneInfo("Asia/Jakarta")

#: Relative arrivals per local hour (an MPP opens 08:00, busiest mid-morning, quiet after lunch)
HOURLY = {8: 1.0, 9: 1.6, 10: 1.5, 11: 1.1, 12: 0.5, 13: 0.9, 14: 0.6}

AGENCY_NAMES = [
    ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"),
    ("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil"),
    ("BPJSKES", "BPJS Kesehatan"),
    ("BPJSTK", "BPJS Ketenagakerjaan"),
    ("SAMSAT", "Samsat Cilegon"),
    ("KEJARI", "Kejaksaan Negeri Cilegon"),
    ("IMIGRASI", "Kantor Imigrasi"),
    ("BPN", "Kantor Pertanahan"),
    ("PLN", "PT PLN (Persero)"),
    ("DINKOPUKM", "Dinas Koperasi dan UKM"),
    ("DISHUB", "Dinas Perhubungan"),
    ("BAPENDA", "Badan Pendapatan Daerah"),
]
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def site_toml(agencies: int = 10, *, name: str = "Mal Pelayanan Publik Kota Cilegon", base_url: str = "") -> str:
    """A site of ``agencies`` offices, 2 or 3 services each (alternately), one counter per service."""
    lines = ["[site]", f'name = "{name}"', 'timezone = "Asia/Jakarta"', 'locale = "id"']
    if base_url:
        lines.append(f'base_url = "{base_url}"')
    services: list[str] = []
    counters: list[str] = []
    k = 0
    for i, (code, label) in enumerate(AGENCY_NAMES[:agencies]):
        lines += ["", "[[agencies]]", f'code = "{code}"', f'name = "{label}"']
        for j in range(3 if i % 2 == 0 else 2):
            svc = f"{code}-{j + 1}"
            services += ["", "[[services]]", f'code = "{svc}"', f'agency = "{code}"',
                         f'name = "{label.split(" ")[-1]} layanan {j + 1}"', f'prefix = "{LETTERS[k % len(LETTERS)] * (1 + k // len(LETTERS))}"',
                         f"target_wait_minutes = {15 if j else 20}"]
            counters += ["", "[[counters]]", f'code = "L{k + 1:02d}"', f'name = "Loket {k + 1}"',
                         f'zone = "lantai-{1 + k // 14}"', f'services = ["{svc}"]']
            k += 1
    return "\n".join(lines + services + counters) + "\n"


def _local(day: date, seconds_of_day: float) -> datetime:
    return (datetime.combine(day, time(0), TZ) + timedelta(seconds=seconds_of_day)).astimezone(UTC)


def _arrival_seconds(rng: random.Random, n: int) -> list[float]:
    hours = list(HOURLY)
    weights = [HOURLY[h] for h in hours]
    return sorted(rng.choices(hours, weights)[0] * 3600 + rng.random() * 3600 for _ in range(n))


def bulk_history(conn: sa.Connection, first: date, last: date, *, per_day: int, seed: int = 1,
                 users: dict[int, int] | None = None, events: bool = True, weekends: bool = False) -> int:
    """Insert finished tickets for local days first..last (never today: the engine numbers today).

    :param per_day: tickets per working day over all services (±20 % day to day).
    :param users: counter id → clerk user id, so per-clerk reports have someone to show.
    :return: tickets inserted.
    """
    rng = random.Random(seed)
    md = sa.MetaData()
    md.reflect(conn, only=["services", "counters", "counter_services", "tickets", "ticket_events"])
    services = conn.execute(sa.select(md.tables["services"].c.id, md.tables["services"].c.prefix,
                                      md.tables["services"].c.typical_service_seconds)
                            .where(md.tables["services"].c.active)).all()
    cs = md.tables["counter_services"]
    counter_of: dict[int, list[int]] = {}
    for cid, sid in conn.execute(sa.select(cs.c.counter_id, cs.c.service_id)):
        counter_of.setdefault(sid, []).append(cid)
    tickets_t, events_t = md.tables["tickets"], md.tables["ticket_events"]
    next_id = (conn.execute(sa.select(sa.func.max(tickets_t.c.id))).scalar() or 0) + 1
    users = users or {}
    total = 0
    day = first
    while day <= last:
        if day.isoweekday() >= 6 and not weekends:
            day += timedelta(days=1)
            continue
        trows, erows = [], []
        n_day = int(per_day * rng.uniform(0.8, 1.2))
        share = [rng.uniform(0.5, 1.5) for _ in services]
        scale = n_day / sum(share)
        for (sid, prefix, typical), sh in zip(services, share, strict=True):
            counters = counter_of.get(sid) or [None]
            free_at = 8 * 3600.0
            for seq, arrive in enumerate(_arrival_seconds(rng, max(1, round(sh * scale))), start=1):
                r = rng.random()
                issued = _local(day, arrive)
                status, called, started, finished = "done", None, None, None
                service_secs = max(30.0, rng.gauss(typical, typical * 0.35))
                if r < 0.03:  # left waiting at closing time: cancelled at the rollover
                    status = "cancelled"
                    finished = _local(day + timedelta(days=1), 7 * 3600.0)
                else:
                    call_at = max(arrive + rng.uniform(0, 40), free_at)
                    called = _local(day, call_at)
                    if r < 0.10:
                        status = "no_show"
                        finished = _local(day, call_at + 120)
                        free_at = call_at + 120
                    else:
                        started = _local(day, call_at + rng.uniform(20, 90))
                        finished = started + timedelta(seconds=service_secs)
                        free_at = (finished - _local(day, 0)).total_seconds()
                counter = rng.choice(counters) if called else None
                tid = next_id
                next_id += 1
                eta = int(max(0.0, free_at - arrive)) if called else None
                trows.append({
                    "id": tid, "token": secrets.token_urlsafe(18), "number": f"{prefix}-{seq:03d}", "seq": seq,
                    "service_day": day, "issued_service_id": sid, "service_id": sid, "status": status,
                    "priority": rng.random() < 0.05, "issued_at": _naive(issued), "queue_at": _naive(issued),
                    "called_at": _naive(called),
                    "last_called_at": _naive(called), "started_at": _naive(started), "finished_at": _naive(finished),
                    "counter_id": counter, "user_id": users.get(counter) if counter else None, "recalls": 0,
                    "kiosk": "K1", "estimated_wait_seconds": eta,
                })
                if events:
                    ev = [("issued", issued, None)]
                    if called:
                        ev.append(("called", called, counter))
                    if started:
                        ev.append(("started", started, counter))
                    ev.append(({"done": "finished", "no_show": "no_show", "cancelled": "cancelled"}[status],
                               finished, counter if status != "cancelled" else None))
                    for kind, at, cid in ev:
                        erows.append({"ticket_id": tid, "kind": kind, "at": _naive(at), "service_id": sid,
                                      "counter_id": cid, "user_id": users.get(cid) if cid else None,
                                      "details": {}})
        if trows:
            conn.execute(tickets_t.insert(), trows)
            if erows:
                conn.execute(events_t.insert(), erows)
        total += len(trows)
        day += timedelta(days=1)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT max(id) FROM tickets))"))
    return total


def _naive(dt: datetime | None) -> datetime | None:
    """The models store naive UTC."""
    return None if dt is None else dt.astimezone(UTC).replace(tzinfo=None)


@dataclass
class Visitor:
    at: float  # seconds after opening
    service: str
    service_seconds: float
    priority: bool = False
    no_show: bool = False


def arrivals(seed: int, services: dict[str, float], *, per_hour: float, hours: float = 7.0,
             no_show_rate: float = 0.05, priority_rate: float = 0.04) -> list[Visitor]:
    """A day's visitors: Poisson arrivals shaped by ``HOURLY``, service times log-normal around each mean.

    :param services: service code → mean service seconds.
    """
    rng = random.Random(seed)
    codes = list(services)
    out: list[Visitor] = []
    t = 0.0
    peak = max(HOURLY.values())
    while True:
        t += rng.expovariate(per_hour * peak / 3600.0)
        if t >= hours * 3600:
            break
        if rng.random() > HOURLY.get(8 + int(t // 3600), 0.5) / peak:  # thinning to the hourly profile
            continue
        code = rng.choice(codes)
        mean = services[code]
        sigma = 0.45
        secs = rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)
        out.append(Visitor(t, code, secs, rng.random() < priority_rate, rng.random() < no_show_rate))
    return out
