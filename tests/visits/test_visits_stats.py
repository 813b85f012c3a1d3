"""Statistics of visits that cross agencies, equal to a hand computation on SQLite and PostgreSQL: each step
at its own service, each visit once (``visits``: first issue to last finish), per route.

The clock is frozen and driven like tests/stats/test_stats.py, so every figure below is exact.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time

import pytest

from queue_app.core import clock
from queue_app.core.extensions import db
from queue_app.core.site import current_site
from queue_app.queue import operations
from queue_app.stats import charts
from queue_app.stats import figures as stats

from ..helpers import VISIT_SITE, make_site

pytestmark = pytest.mark.both_databases

D = date(2026, 11, 10)


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path, VISIT_SITE)


@pytest.fixture
def frozen(monkeypatch):
    base = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: base + clock._offset)
    yield
    clock.reset()


def at(hh: int, mm: int) -> None:
    clock.travel(datetime.combine(D, time(hh, mm), current_site().tz) - clock.utcnow())


def act(verb, *args, **kw):  # noqa: ANN001, ANN201
    result = verb(*args, **kw)
    db.session.commit()
    return result


@pytest.fixture
def visits_day(frozen, app):
    """The morning below through the real engine (times WIB; L01 = PBG and PERIZINAN, L02 = the retribution
    cashier, L03 = the pickup desk; PBG's route is PBG → RETRIBUSI → SERAH).

      ticket  issued  PBG: call start finish       RETRIBUSI: call start finish   SERAH: call start finish
      H-001   08:00   08:05 08:06 08:16            08:20 08:21 08:24             08:30 08:31 08:36 done
      A-001   08:00   (PERIZINAN) called 08:18, finished straight from called 08:20: done
      H-002   08:10   08:40 08:40 08:45            08:50 (08:50) 08:52 end_visit: done
      H-003   08:20   08:46 (08:46) 08:47          08:55 called, at the end of the script (09:00)
    """
    with app.app_context():
        issue = operations.issue_ticket
        at(8, 0)
        act(issue, "PBG")
        act(issue, "PERIZINAN")
        at(8, 5)
        assert act(operations.call_next, "L01", actor=None).number == "H-001"
        at(8, 6)
        act(operations.start_serving, "L01", actor=None)
        at(8, 10)
        act(issue, "PBG")
        at(8, 16)
        act(operations.finish, "L01", actor=None)
        at(8, 18)
        act(operations.call_number, "L01", "A-001", actor=None)  # out of order: PBG comes first at L01
        at(8, 20)
        act(issue, "PBG")
        act(operations.finish, "L01", actor=None)
        assert act(operations.call_next, "L02", actor=None).number == "H-001"
        at(8, 21)
        act(operations.start_serving, "L02", actor=None)
        at(8, 24)
        act(operations.finish, "L02", actor=None)
        at(8, 30)
        assert act(operations.call_next, "L03", actor=None).number == "H-001"
        at(8, 31)
        act(operations.start_serving, "L03", actor=None)
        at(8, 36)
        act(operations.finish, "L03", actor=None)
        at(8, 40)
        assert act(operations.call_next, "L01", actor=None).number == "H-002"
        act(operations.start_serving, "L01", actor=None)
        at(8, 45)
        act(operations.finish, "L01", actor=None)
        at(8, 46)
        assert act(operations.call_next, "L01", actor=None).number == "H-003"
        at(8, 47)
        act(operations.finish, "L01", actor=None)
        at(8, 50)
        assert act(operations.call_next, "L02", actor=None).number == "H-002"
        at(8, 52)
        act(operations.finish, "L02", actor=None, end_visit=True)
        at(8, 55)
        assert act(operations.call_next, "L02", actor=None).number == "H-003"
        at(9, 0)
    return app


def by_code(summary: dict) -> dict[str, dict]:
    return {s["code"]: s for s in summary["services"]}


def test_each_step_counts_at_its_own_service(visits_day):
    with visits_day.app_context():
        s = stats.summary(D, D)
    per = by_code(s)
    pick = ("issued", "served", "no_show", "cancelled", "waiting_now", "called", "avg_wait_seconds",
            "p90_wait_seconds", "avg_service_seconds", "within_target_pct")

    def figures(code: str) -> tuple:
        return tuple(per[code][k] for k in pick)

    # PBG: three issued and three steps served; waits 300, 1800, 1560 (target 1200); service 600, 300, 60
    assert figures("PBG") == (3, 3, 0, 0, 0, 3, 1220, 1800, 320, 33.3)
    # the cashier: nobody issued there; H-001's step and H-002's end served; waits 240, 300 and H-003's 480
    # (called, not finished yet); service 180, 120
    assert figures("RETRIBUSI") == (0, 2, 0, 0, 0, 3, 340, 480, 150, 100.0)
    # the pickup desk: H-001's last step, wait 360, service 300
    assert figures("SERAH") == (0, 1, 0, 0, 0, 1, 360, 360, 300, 100.0)
    assert figures("PERIZINAN") == (1, 1, 0, 0, 0, 1, 1080, 1080, 120, 0.0)
    # in total: 4 tickets issued, 7 steps served, 8 waits (6120 s); 5 of them within their step's target
    total = s["total"]
    assert tuple(total[k] for k in pick) == (4, 7, 0, 0, 0, 8, 765, 1800, 240, 62.5)


def test_each_visit_counts_once_from_its_issue_to_its_last_finish(visits_day):
    with visits_day.app_context():
        visits = stats.summary(D, D)["visits"]
    # A-001 08:00-08:20 (1200 s), H-001 08:00-08:36 (2160 s), H-002 08:10-08:52 (2520 s, ended at the cashier)
    assert (visits["done"], visits["avg_visit_seconds"], visits["p90_visit_seconds"]) == (3, 1960, 2520)
    assert visits["routes"] == [
        {"route": ["PBG", "RETRIBUSI"], "done": 1, "avg_visit_seconds": 2520, "p90_visit_seconds": 2520},
        {"route": ["PBG", "RETRIBUSI", "SERAH"], "done": 1, "avg_visit_seconds": 2160, "p90_visit_seconds": 2160},
    ]


def test_a_manager_sees_the_visits_that_touch_the_agency(visits_day, client, staff):
    dpmptsp = staff.headers("boss-ptsp", "manager", agency="DPMPTSP")
    dpupr = staff.headers("boss-pupr", "manager", agency="DPUPR")
    q = "?from=2026-11-10&to=2026-11-10"
    mine = client.get("/api/stats/summary" + q, headers=dpmptsp).json["visits"]
    # A-001 (PERIZINAN) and H-001, which ended at SERAH; not H-002, which never reached DPMPTSP
    assert (mine["done"], mine["avg_visit_seconds"]) == (2, 1680)
    assert [r["route"] for r in mine["routes"]] == [["PBG", "RETRIBUSI", "SERAH"]]
    theirs = client.get("/api/stats/summary" + q, headers=dpupr).json
    assert theirs["visits"]["done"] == 2 and [s["code"] for s in theirs["services"]] == ["PBG", "RETRIBUSI"]


def test_counters_days_and_charts_count_the_steps(visits_day):
    with visits_day.app_context():
        counters = {c["code"]: c for c in stats.by_counter(D, D)}
        day = stats.daily(D, D)
        histogram = [b["count"] for b in charts.wait_histogram(D, D)]
        dashboard = stats.report(D, D)
    # L01 served three PBG steps and A-001: service 600 + 300 + 60 + 120
    assert (counters["L01"]["served"], counters["L01"]["avg_service_seconds"]) == (4, 270)
    assert (counters["L02"]["served"], counters["L02"]["avg_service_seconds"]) == (2, 150)
    assert (counters["L03"]["served"], counters["L03"]["avg_service_seconds"]) == (1, 300)
    assert [(d["issued"], d["served"], d["called"], d["avg_wait_seconds"], d["within_target_pct"])
            for d in day] == [(4, 7, 8, 765, 62.5)]
    # waits 240 | 300 300 360 480 | - | 1080 | 1560 | 1800 in the buckets <5, <10, <15, <20, <30, <45 min
    assert histogram == [1, 4, 0, 1, 1, 1, 0, 0]
    assert dashboard["visits"]["done"] == 3


def test_the_exports_carry_the_route_and_the_visits_time(visits_day, client, manager):
    from openpyxl import load_workbook

    text = client.get("/api/stats/export.csv?from=2026-11-10&to=2026-11-10", headers=manager).get_data(True)
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(text))}
    assert (rows["H-001"]["route"], rows["H-001"]["visit_seconds"]) == ("PBG > RETRIBUSI > SERAH", "2160")
    assert (rows["H-002"]["route"], rows["H-002"]["visit_seconds"]) == ("PBG > RETRIBUSI", "2520")
    assert (rows["A-001"]["route"], rows["A-001"]["visit_seconds"]) == ("", "1200")
    assert (rows["H-003"]["route"], rows["H-003"]["visit_seconds"]) == ("PBG > RETRIBUSI > SERAH", "")
    r = client.get("/api/stats/export.xlsx?from=2026-11-10&to=2026-11-10", headers=manager)
    sheet = load_workbook(io.BytesIO(r.data))["Kunjungan"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, v in enumerate(values) if v[0] == "No")
    assert values[header + 1][:5] == [1, "PBG → RETRIBUSI", 1, 42.0, 42.0]
    assert values[header + 2][:5] == [2, "PBG → RETRIBUSI → SERAH", 1, 36.0, 36.0]
    assert values[header + 3][2:5] == [3, 32.7, 42.0]


def test_the_dashboard_shows_todays_visits_per_route(visits_day, client, manager):
    snap = client.get("/api/stats/dashboard", headers=manager).json
    assert (snap["today_visits"]["done"], snap["today_visits"]["p90_visit_seconds"]) == (3, 2520)
    assert [r["route"][-1] for r in snap["today_visits"]["routes"]] == ["RETRIBUSI", "SERAH"]


def test_the_reports_page_lists_the_routes(visits_day, client, staff):
    from ..helpers import login

    staff.user("boss", "manager")
    login(client, "boss")
    page = client.get("/dashboard/reports?from=2026-11-10&to=2026-11-10").text
    assert 'id="visits-card"' in page and "PBG → RETRIBUSI → SERAH" in page and 'data-route="PBG RETRIBUSI"' in page
    assert 'id="visits-card" hidden' in client.get("/dashboard/").text  # the live card waits for its snapshot
