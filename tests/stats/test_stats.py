"""Statistics equal a hand computation on a scripted day, on SQLite and PostgreSQL; scoping; exports.

The clock is frozen (``clock.utcnow`` = a fixed instant + the travel offset) and driven with
``clock.travel``, so every timestamp of the script is exact and the expected figures below are
worked out by hand from the table in ``scripted_day``'s docstring.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from queue_app.core import clock
from queue_app.core.extensions import db
from queue_app.core.site import current_site
from queue_app.queue import operations, rollover
from queue_app.staff.auth import create_user
from queue_app.staff.models import User
from queue_app.stats import charts, dashboard
from queue_app.stats import figures as stats

from ..helpers import on_duty

TZ_OFFSET_H = 7  # Asia/Jakarta
D = date(2026, 11, 10)  # a Tuesday
D_1 = date(2026, 11, 9)
D_7 = date(2026, 11, 3)


@pytest.fixture
def frozen(monkeypatch):
    base = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: base + clock._offset)
    yield
    clock.reset()


@pytest.fixture
def db_app(frozen, app):
    """The test app with the clock frozen first; ``both_databases`` tests get it on SQLite and PostgreSQL."""
    return app


def at(day: date, hh: int, mm: int) -> None:
    """Move the frozen clock to a local (WIB) time."""
    target = datetime.combine(day, time(hh, mm), current_site().tz)
    clock.travel(target - clock.utcnow())


def act(verb, *args, **kw):  # noqa: ANN001, ANN201
    result = verb(*args, **kw)
    db.session.commit()
    return result


def scripted_day() -> dict[str, User]:
    """Build the history below through the real engine (times WIB; c1 works L01, c2 L02, c3 L03).

    D-7 (Tue 3 Nov): A-001 issued 09:15, called L01 09:20, finished 09:25.
    D-1 (Mon 9 Nov): A-001 issued 14:00, called L01 14:10, finished straight from called 14:20 (service 600 s);
                     B-001 issued 14:05 and P-001 14:30 are left waiting: cancelled at the rollover on D.
    D (Tue 10 Nov):
      ticket  issued-for  ended-in  issued  first call   started  finished  end
      A-001   PERIZINAN   NONIZIN   08:00   08:10 L01    08:13    08:20     done (transferred 08:12, called by L02 08:12)
      A-002   PERIZINAN             08:02   08:20 L01    08:21    08:31     done
      A-003*  PERIZINAN             08:35   08:36 L02 (called by number)  08:40 no-show
      A-004   PERIZINAN             08:40   -                               waiting
      B-001   NONIZIN               08:03   08:05 L02  recall 08:07         08:09 no-show
      B-002*  NONIZIN               08:04   08:05 L01    08:06    08:10     done
      B-003   NONIZIN               08:21   08:31 L01    08:32    -         serving (wait 600 s = target exactly)
      P-001   HALAL                 08:15   08:20 L03    (08:20)  08:26     done straight from called
      P-002   HALAL                 08:16   08:31 L03  recall 08:33, 08:34 08:40 done (wait 900 s = target)
      P-003   HALAL                 08:41   -                               waiting
    (* priority). L02 pauses at 08:42; the script ends at 08:45.
    """
    with_users = {}
    for name, counter in (("c1", "L01"), ("c2", "L02"), ("c3", "L03")):
        with_users[name] = create_user(name, role="clerk", password="rahasia-123", counters=[counter],
                                       full_name=f"Petugas {name.upper()}")
    db.session.commit()
    c1, c2, c3 = with_users["c1"], with_users["c2"], with_users["c3"]
    issue = operations.issue_ticket

    at(D_7, 9, 15)
    act(issue, "PERIZINAN")
    at(D_7, 9, 20)
    act(operations.call_next, "L01", actor=c1)
    at(D_7, 9, 25)
    act(operations.finish, "L01", actor=c1)

    at(D_1, 14, 0)
    act(rollover.close_stale_tickets)
    act(issue, "PERIZINAN")
    at(D_1, 14, 5)
    act(issue, "NONIZIN")
    at(D_1, 14, 10)
    act(operations.call_next, "L01", actor=c1)
    at(D_1, 14, 20)
    act(operations.finish, "L01", actor=c1)
    at(D_1, 14, 30)
    act(issue, "HALAL")

    at(D, 8, 0)
    assert act(rollover.close_stale_tickets) == 2
    act(issue, "PERIZINAN")
    at(D, 8, 2)
    act(issue, "PERIZINAN")
    at(D, 8, 3)
    act(issue, "NONIZIN")                        # B-001
    at(D, 8, 4)
    act(issue, "NONIZIN", priority=True)         # B-002*
    at(D, 8, 5)
    assert act(operations.call_next, "L01", actor=c1).number == "B-002"
    assert act(operations.call_next, "L02", actor=c2).number == "B-001"
    at(D, 8, 6)
    act(operations.start_serving, "L01", actor=c1)
    at(D, 8, 7)
    act(operations.recall, "L02", actor=c2)
    at(D, 8, 9)
    act(operations.no_show, "L02", actor=c2)
    at(D, 8, 10)
    act(operations.finish, "L01", actor=c1)
    assert act(operations.call_next, "L01", actor=c1).number == "A-001"
    at(D, 8, 11)
    act(operations.start_serving, "L01", actor=c1)
    at(D, 8, 12)
    act(operations.transfer, "L01", "NONIZIN", actor=c1)
    assert act(operations.call_next, "L02", actor=c2).number == "A-001"
    at(D, 8, 13)
    act(operations.start_serving, "L02", actor=c2)
    at(D, 8, 15)
    act(issue, "HALAL")                          # P-001
    at(D, 8, 16)
    act(issue, "HALAL")                          # P-002
    at(D, 8, 20)
    act(operations.finish, "L02", actor=c2)
    assert act(operations.call_next, "L03", actor=c3).number == "P-001"
    assert act(operations.call_next, "L01", actor=c1).number == "A-002"
    at(D, 8, 21)
    act(operations.start_serving, "L01", actor=c1)
    act(issue, "NONIZIN")                        # B-003
    at(D, 8, 26)
    act(operations.finish, "L03", actor=c3)
    at(D, 8, 31)
    act(operations.finish, "L01", actor=c1)
    assert act(operations.call_next, "L01", actor=c1).number == "B-003"
    assert act(operations.call_next, "L03", actor=c3).number == "P-002"
    at(D, 8, 32)
    act(operations.start_serving, "L01", actor=c1)
    at(D, 8, 33)
    act(operations.recall, "L03", actor=c3)
    at(D, 8, 34)
    act(operations.start_serving, "L03", actor=c3)
    at(D, 8, 35)
    act(issue, "PERIZINAN", priority=True)       # A-003*
    at(D, 8, 36)
    assert act(operations.call_number, "L02", "A-003", actor=c2).number == "A-003"
    at(D, 8, 40)
    act(operations.no_show, "L02", actor=c2)
    act(operations.finish, "L03", actor=c3)
    act(issue, "PERIZINAN")
    at(D, 8, 41)
    act(issue, "HALAL")                          # P-003
    at(D, 8, 42)
    act(operations.pause, "L02", actor=c2)
    at(D, 8, 45)
    return with_users


def figures(issued, served, no_show, cancelled, waiting_now, avg_wait, p90, avg_service, within, called):
    return {"issued": issued, "served": served, "no_show": no_show, "cancelled": cancelled,
            "waiting_now": waiting_now, "avg_wait_seconds": avg_wait, "p90_wait_seconds": p90,
            "avg_service_seconds": avg_service, "within_target_pct": within, "called": called}


def by_code(rows, key="code"):
    return {r[key]: {k: v for k, v in r.items() if k not in ("code", "name", "agency", "target_wait_minutes",
                                                              "username", "zone")} for r in rows}


@pytest.mark.both_databases
def test_figures_equal_the_hand_computation(db_app):
    with db_app.app_context():
        scripted_day()

        # --- day D, at 08:45 -----------------------------------------------------------------
        s = stats.summary(D, D)
        got = by_code(s["services"])
        # PERIZINAN: issued A-001..A-004; served A-002 (A-001 ended in NONIZIN); no-show A-003; A-004 waits.
        # waits A-001 600, A-002 1080, A-003 60 -> avg 580, p90 = 3rd of 3 = 1080, within 900: 2/3.
        # service: A-002 08:21-08:31 = 600.
        assert got["PERIZINAN"] == figures(4, 1, 1, 0, 1, 580, 1080, 600, 66.7, 3)
        # NONIZIN: issued B-001..B-003; served A-001 + B-002; no-show B-001.
        # waits B-001 120, B-002 60, B-003 600 (= the 10 min target: within) -> avg 260, p90 600, 100 %.
        # service: A-001 08:13-08:20 = 420, B-002 08:06-08:10 = 240 -> 330.
        assert got["NONIZIN"] == figures(3, 2, 1, 0, 0, 260, 600, 330, 100.0, 3)
        # HALAL: waits P-001 300, P-002 900 (= target) -> avg 600, p90 900; service 360 and 360.
        assert got["HALAL"] == figures(3, 2, 0, 0, 1, 600, 900, 360, 100.0, 2)
        # total: waits 600,1080,60,120,60,600,300,900 = 3720/8 = 465; p90 = 8th of 8 = 1080; within 7/8.
        # service 600,420,240,360,360 = 1980/5 = 396.
        assert {k: v for k, v in s["total"].items()} == figures(10, 5, 2, 0, 2, 465, 1080, 396, 87.5, 8)

        agencies = by_code(stats.by_agency(D, D))
        # DPMPTSP: waits 600,1080,60,120,60,600 = 2520/6 = 420, p90 = 6th of 6 = 1080, within 5/6.
        assert agencies["DPMPTSP"] == figures(7, 3, 2, 0, 1, 420, 1080, 420, 83.3, 6)
        assert agencies["DINKOPUKM"] == got["HALAL"]

        counters = by_code(stats.by_counter(D, D))
        # L01 first calls: B-002 60, A-001 600, A-002 1080, B-003 600 -> avg 585, p90 1080, within 3/4;
        # finished there: B-002 240, A-002 600 -> 420; transferred A-001.
        assert counters["L01"] == {"calls": 4, "recalls": 0, "served": 2, "no_show": 0, "transferred": 1,
                                   "first_calls": 4, "avg_wait_seconds": 585, "p90_wait_seconds": 1080,
                                   "avg_service_seconds": 420, "within_target_pct": 75.0}
        # L02: calls B-001, A-001 (its second call), A-003; first calls B-001 120, A-003 60.
        assert counters["L02"] == {"calls": 3, "recalls": 1, "served": 1, "no_show": 2, "transferred": 0,
                                   "first_calls": 2, "avg_wait_seconds": 90, "p90_wait_seconds": 120,
                                   "avg_service_seconds": 420, "within_target_pct": 100.0}
        assert counters["L03"] == {"calls": 2, "recalls": 1, "served": 2, "no_show": 0, "transferred": 0,
                                   "first_calls": 2, "avg_wait_seconds": 600, "p90_wait_seconds": 900,
                                   "avg_service_seconds": 360, "within_target_pct": 100.0}
        clerks = by_code(stats.by_clerk(D, D), key="username")
        assert clerks == {"c1": counters["L01"], "c2": counters["L02"], "c3": counters["L03"]}

        # waits 1,1,2 | 5 | 10,10 | 15,18 minutes
        assert [b["count"] for b in charts.wait_histogram(D, D)] == [3, 1, 2, 2, 0, 0, 0, 0]
        hourly = charts.hourly(D)
        assert hourly["arrivals"][8] == 10 and sum(hourly["arrivals"]) == 10
        assert hourly["calls"][8] == 8 and sum(hourly["calls"]) == 8
        # the same weekday one week earlier (D-7) had one arrival and one call at 09:xx; D-14.. had none
        assert hourly["baseline_days"] == 1
        assert hourly["arrivals_avg"][9] == 1.0 and hourly["calls_avg"][9] == 1.0
        assert sum(hourly["arrivals_avg"]) == 1.0

        day = stats.daily(D, D)
        assert day == [{"day": "2026-11-10", "issued": 10, "served": 5, "no_show": 2, "cancelled": 0,
                        "called": 8, "avg_wait_seconds": 465, "within_target_pct": 87.5}]

        # --- D-1 .. D: adds yesterday's A-001 (wait 600, service 600) and the two rollover cancellations
        r = stats.summary(D_1, D)
        got = by_code(r["services"])
        assert got["PERIZINAN"] == figures(5, 2, 1, 0, 1, 585, 1080, 600, 75.0, 4)
        assert got["NONIZIN"] == figures(4, 2, 1, 1, 0, 260, 600, 330, 100.0, 3)
        assert got["HALAL"] == figures(4, 2, 0, 1, 1, 600, 900, 360, 100.0, 2)
        # waits 4320/9 = 480; p90 = 9th of 9 = 1080; within 8/9; service 2580/6 = 430
        assert r["total"] == figures(13, 6, 2, 2, 2, 480, 1080, 430, 88.9, 9)
        heat = charts.heatmap(D_1, D)
        assert heat["days"] == ["2026-11-09", "2026-11-10"]
        cells = {(d, h): heat["cells"][i][j] for i, d in enumerate(heat["days"])
                 for j, h in enumerate(heat["hours"])}
        assert cells[("2026-11-09", 14)] == 3 and cells[("2026-11-10", 8)] == 10
        assert sum(map(sum, heat["cells"])) == 13

        # --- the live snapshot at 08:45 ------------------------------------------------------------
        snap = dashboard.dashboard_snapshot()
        assert {s["open_counters"] for s in snap["services"]} == {0}  # no clerk's panel connected yet
        on_duty(db_app, "L01", "L02", "L03")  # the three clerks have their panels open
        snap = dashboard.dashboard_snapshot()
        svc = {s["code"]: s for s in snap["services"]}
        assert (svc["PERIZINAN"]["waiting"], svc["PERIZINAN"]["longest_wait_seconds"]) == (1, 300)
        assert (svc["HALAL"]["waiting"], svc["HALAL"]["longest_wait_seconds"]) == (1, 240)
        assert svc["NONIZIN"]["waiting"] == 0 and svc["NONIZIN"]["longest_wait_seconds"] is None
        assert (svc["NONIZIN"]["open_counters"], svc["NONIZIN"]["counters"]) == (1, 2)  # L02 paused
        assert {s["level"] for s in snap["services"]} == {"green"}
        ctr = {c["code"]: c for c in snap["counters"]}
        assert ctr["L02"]["state"] == "paused" and ctr["L02"]["current"] is None
        assert ctr["L01"]["current"] == {"number": "B-003", "service": "NONIZIN", "status": "serving",
                                         "priority": False, "since": "2026-11-10T08:32:00+07:00",
                                         "seconds": 780, "clerk": "Petugas C1"}
        assert snap["today"] == s["total"]
        at(D, 8, 55)  # A-004 has waited 15 min = its target: amber
        assert {s["code"]: s["level"] for s in dashboard.dashboard_snapshot()["services"]}["PERIZINAN"] == "amber"
        at(D, 8, 56)
        assert {s["code"]: s["level"] for s in dashboard.dashboard_snapshot()["services"]}["PERIZINAN"] == "red"

        # --- next morning: A-004 and P-003 are cancelled on their own day D -------------------------
        at(date(2026, 11, 11), 7, 30)
        assert act(rollover.close_stale_tickets) == 2
        s = stats.summary(D, D)
        got = by_code(s["services"])
        assert (got["PERIZINAN"]["cancelled"], got["HALAL"]["cancelled"], got["NONIZIN"]["cancelled"]) == (1, 1, 0)
        assert s["total"]["cancelled"] == 2 and s["total"]["waiting_now"] == 0
        assert s["total"]["avg_wait_seconds"] == 465  # cancelled tickets were never called


def test_level_thresholds():
    assert dashboard.level(None, 900) == "green"
    assert dashboard.level(674, 900) == "green"
    assert dashboard.level(675, 900) == "amber"
    assert dashboard.level(900, 900) == "amber"
    assert dashboard.level(901, 900) == "red"


# --- API: roles, scoping, exports --------------------------------------------------------------------


@pytest.fixture
def scripted(app, frozen):
    with app.app_context():
        scripted_day()
    return app


def test_scoped_manager_sees_only_their_agency(scripted, client, staff, admin):
    halal = staff.headers("halal-boss", "manager", agency="DINKOPUKM")
    q = "?from=2026-11-09&to=2026-11-10"
    s = client.get("/api/stats/summary" + q, headers=halal).get_json()
    assert [r["code"] for r in s["services"]] == ["HALAL"]
    assert s["total"]["issued"] == 4 and s["total"]["cancelled"] == 1
    rep = client.get("/api/stats/report" + q, headers=halal).get_json()
    assert [a["code"] for a in rep["agencies"]] == ["DINKOPUKM"]
    assert [c["code"] for c in rep["counters"]] == ["L03"]
    assert [c["username"] for c in rep["clerks"]] == ["c3"]
    snap = client.get("/api/stats/dashboard", headers=halal).get_json()
    assert [r["code"] for r in snap["services"]] == ["HALAL"]
    assert [c["code"] for c in snap["counters"]] == ["L03"]
    assert snap["agency"]["code"] == "DINKOPUKM"
    rows = list(csv.reader(io.StringIO(client.get("/api/stats/export.csv" + q, headers=halal).get_data(True))))
    assert len(rows) == 1 + 4 and {r[3] for r in rows[1:]} == {"HALAL"}
    # asking for another agency is refused, not silently widened
    assert client.get("/api/stats/summary?agency=DPMPTSP", headers=halal).status_code == 403
    assert client.get("/api/stats/summary?agency=NOPE", headers=admin).status_code == 404
    # an admin sees everything, and may narrow
    everything = client.get("/api/stats/summary" + q, headers=admin).get_json()
    assert [r["code"] for r in everything["services"]] == ["PERIZINAN", "NONIZIN", "HALAL"]
    narrowed = client.get("/api/stats/summary" + q + "&agency=DPMPTSP", headers=admin).get_json()
    assert [r["code"] for r in narrowed["services"]] == ["PERIZINAN", "NONIZIN"]


def test_stats_endpoints_refuse_clerks_and_anonymous(scripted, client, clerk):
    for path in ("/api/stats/summary", "/api/stats/report", "/api/stats/dashboard", "/api/stats/export.csv",
                 "/api/stats/export.xlsx"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=clerk).status_code == 403


def test_bad_ranges_are_4xx(scripted, client, manager):
    for q in ("from=2026-13-01", "from=2026-11-10&to=2026-11-01", "from=2020-01-01&to=2026-01-01", "month=11-2026",
              "month=2026-13"):
        r = client.get("/api/stats/report?" + q, headers=manager)
        assert r.status_code == 422, q
        assert r.get_json()["error"]["code"] == "validation_failed"


def test_csv_export_has_every_timestamp(scripted, client, manager):
    text = client.get("/api/stats/export.csv?from=2026-11-10&to=2026-11-10", headers=manager).get_data(True)
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(text))}
    assert len(rows) == 10
    a1 = rows["A-001"]
    assert (a1["issued_service"], a1["service"], a1["status"]) == ("PERIZINAN", "NONIZIN", "done")
    assert a1["issued_at"] == "2026-11-10T08:00:00+07:00" and a1["called_at"] == "2026-11-10T08:10:00+07:00"
    assert a1["started_at"] == "2026-11-10T08:13:00+07:00" and a1["finished_at"] == "2026-11-10T08:20:00+07:00"
    assert (a1["wait_seconds"], a1["service_seconds"], a1["counter"], a1["clerk"]) == ("600", "420", "L02", "c2")
    assert rows["A-004"]["called_at"] == "" and rows["A-004"]["wait_seconds"] == ""


def test_excel_recap(scripted, client, manager):
    from openpyxl import load_workbook

    r = client.get("/api/stats/export.xlsx?month=2026-11", headers=manager)
    assert r.status_code == 200
    assert r.headers["Content-Disposition"].endswith('rekap-antrean-2026-11-01-2026-11-30.xlsx"')
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["Rekap Layanan", "Rincian Harian", "Per Loket", "Per Petugas", "Kunjungan"]
    ws = wb["Rekap Layanan"]
    assert ws["A1"].value == "REKAPITULASI LAYANAN ANTREAN MPP UJI — BULAN NOVEMBER 2026"
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, v in enumerate(values) if v[0] == "No")
    assert values[header][:5] == ["No", "Instansi (OPD)", "Jenis Layanan", "Jumlah Antrean", "Dilayani"]
    body = values[header + 1:header + 4]
    assert [v[0] for v in body] == [1, 2, 3]
    assert [v[2] for v in body] == ["Perizinan Berusaha", "Non-Perizinan", "Sertifikasi Halal"]
    total = values[header + 4]
    # the whole month: D-7 A-001 (wait 5 min, service 5 min) joins the D-1..D figures
    assert total[1] == "JUMLAH" and total[3:7] == [14, 7, 2, 2]
    texts = [str(v) for row in values for v in row if v]
    assert any(t.startswith("Kepala DPMPTSP") for t in texts)
    assert any(t.startswith("NIP.") for t in texts)
    assert wb["Rincian Harian"]["C5"].value == "3 November 2026"
    loket = [[c.value for c in row] for row in wb["Per Loket"].iter_rows(min_row=5)]
    assert [r[1] for r in loket[:3]] == ["L01", "L02", "L03"]


# --- the dashboard pages -------------------------------------------------------------------------------


def _login(client, username: str) -> None:
    import re

    page = client.get("/login").get_data(True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": username, "password": "rahasia-123", "csrf_token": token})
    assert r.status_code == 302


def test_dashboard_pages_need_a_manager(scripted, client, staff):
    r = client.get("/dashboard/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/login?next=/dashboard/")
    r = client.get("/dashboard/reports?from=2026-11-01")
    assert r.status_code == 302 and "next=/dashboard/reports" in r.headers["Location"]
    _login(client, "c1")
    r = client.get("/dashboard/")
    assert r.status_code == 403 and b"403" in r.data


def test_dashboard_page_is_scoped_server_side(scripted, client, staff):
    staff.user("halal-boss", "manager", agency="DINKOPUKM")
    _login(client, "halal-boss")
    html = client.get("/dashboard/").get_data(True)
    assert "Sertifikasi Halal" in html and "Perizinan Berusaha" not in html
    html = client.get("/dashboard/reports?from=2026-11-09&to=2026-11-10").get_data(True)
    assert "Sertifikasi Halal" in html and "Perizinan Berusaha" not in html
    assert "/api/stats/export.xlsx" in html and "/api/stats/export.csv" in html


def test_queries_do_not_grow_with_the_tickets(scripted):
    """Guard the 'in SQL' promise: the number of statements does not depend on how many tickets there are."""

    def count() -> int:
        statements: list[str] = []

        def listener(*a):  # noqa: ANN002
            statements.append(a[2])

        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            stats.report(D_1, D)
            dashboard.dashboard_snapshot()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
            db.session.rollback()
        return len(statements)

    with scripted.app_context():
        before = count()
        for _ in range(25):
            act(operations.issue_ticket, "NONIZIN")
            act(operations.call_next, "L01", actor=None, finish_current=True)
        assert count() == before


@pytest.mark.parametrize("q", ["from=0001-01-01&to=0001-01-03", "from=9999-12-29&to=9999-12-31", "month=0001-01",
                               "month=9999-12", "agency=%00", "from=2026-02-30", "to=2026-01-01", "month=2026-00"])
def test_edge_ranges_never_500(app, client, admin, staff, q):
    for path in ("/api/stats/summary", "/api/stats/report", "/api/stats/export.csv", "/api/stats/export.xlsx",
                 "/api/stats/dashboard"):
        r = client.get(f"{path}?{q}", headers=admin)
        assert r.status_code < 500, (path, q, r.status_code)
    staff.user("boss", "manager")
    _login(client, "boss")
    assert client.get(f"/dashboard/reports?{q}").status_code < 500


def test_dashboard_socket_is_scoped_too(app, staff, admin):
    """A scoped manager's /dashboard socket only hears about their agency; an admin's hears everything."""
    from queue_app.core.extensions import socketio

    halal = staff.headers("halal-boss", "manager", agency="DINKOPUKM")
    scoped = socketio.test_client(app, namespace="/dashboard", auth={"token": halal["Authorization"][7:]})
    everyone = socketio.test_client(app, namespace="/dashboard", auth={"token": admin["Authorization"][7:]})
    assert scoped.is_connected("/dashboard") and everyone.is_connected("/dashboard")
    with app.app_context():
        act(operations.issue_ticket, "PERIZINAN")
        act(operations.call_next, "L01", actor=None)
    assert [e for e in scoped.get_received("/dashboard") if e["name"] in ("queue_changed", "counter_changed")] == []
    heard = everyone.get_received("/dashboard")
    assert {e["name"] for e in heard} >= {"queue_changed", "counter_changed"}
    with app.app_context():
        act(operations.issue_ticket, "HALAL")
        act(operations.call_next, "L03", actor=None)
    got = scoped.get_received("/dashboard")
    queues = [e["args"][0]["services"] for e in got if e["name"] == "queue_changed"]
    assert queues and all(set(q) == {"HALAL"} for q in queues)
    assert {e["args"][0]["code"] for e in got if e["name"] == "counter_changed"} == {"L03"}
    scoped.disconnect("/dashboard")
    everyone.disconnect("/dashboard")
