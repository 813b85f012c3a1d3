"""The manager dashboard in Debian's Chromium against a real server: live tiles follow a call made through
the API without a reload, the reports page opens with its tables and exports, a scoped manager sees one
agency. Screenshots go to docs/screenshots/dashboard*.png
under ``make screenshots``."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import pytest
import requests
import sqlalchemy as sa

from ..helpers import ROOT, screenshot
from ..livesite import ClerkPanel, LiveServer

PASSWORD = "rahasia-123"

pytestmark = pytest.mark.slow


def _user(live: LiveServer, username: str, role: str, *extra: str) -> None:
    subprocess.run([sys.executable, "-m", "queue_app", "--config", str(live.config_path), "user", "add", username,
                    "--role", role, "--password-stdin", *extra], input=PASSWORD + "\n", text=True, check=True,
                   cwd=live.workdir, capture_output=True)


def _seed_history(live: LiveServer) -> None:
    """Eight weeks of finished tickets (bulk-inserted) so the baseline lines and reports have data."""
    sys.path.insert(0, str(ROOT))
    from bench.simulate import bulk_history

    db_file = next(live.workdir.rglob("*.db"))
    engine = sa.create_engine(f"sqlite:///{db_file}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA busy_timeout = 10000")
        counters = dict(conn.execute(sa.text("SELECT code, id FROM counters")).all())
        users = dict(conn.execute(sa.text("SELECT username, id FROM users")).all())
        clerks = {counters["L01"]: users["c1"], counters["L02"]: users["c2"], counters["L03"]: users["c3"]}
        today = date.today()
        bulk_history(conn, today - timedelta(days=56), today - timedelta(days=1), per_day=120, seed=3, users=clerks,
                     weekends=True)
    engine.dispose()


def _login(page, live: LiveServer, username: str, next_path: str = "/dashboard/") -> None:
    page.goto(live.url + next_path)
    assert "/login" in page.url  # not signed in: sent to the login page with ?next=
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live.url + next_path + "*")


def test_dashboard_live_tiles_reports_and_scope(browser, page, tmp_path):
    live = LiveServer(tmp_path / "site").start()
    panels: dict[str, ClerkPanel] = {}
    try:
        _user(live, "kepala", "manager", "--name", "Kepala MPP")
        _user(live, "halal", "manager", "--agency", "DINKOPUKM", "--name", "Kepala Dinkop")
        for name, counter in (("c1", "L01"), ("c2", "L02"), ("c3", "L03")):
            _user(live, name, "clerk", "--counter", counter, "--name", f"Petugas {name.upper()}")
        _seed_history(live)
        clerk = {n: live.token(n, PASSWORD) for n in ("c1", "c2", "c3")}
        # the three clerks have their counters' panels open (L01..L03 staffed)
        for name, code in (("c1", "L01"), ("c2", "L02"), ("c3", "L03")):
            panels[code] = ClerkPanel(live, clerk[name], code)
        api = live.url + "/api"
        for service in ["PERIZINAN"] * 6 + ["NONIZIN"] * 4 + ["HALAL"] * 2:
            assert requests.post(api + "/tickets", json={"service": service, "kiosk": "K1"},
                                 headers=live.kiosk_headers("K1"), timeout=5).status_code == 201
        assert requests.post(api + "/counters/L02/call-next", headers=clerk["c2"], timeout=5).status_code == 200
        assert requests.post(api + "/counters/L02/start", headers=clerk["c2"], timeout=5).status_code == 200
        assert requests.post(api + "/counters/L03/call-next", headers=clerk["c3"], timeout=5).status_code == 200

        _login(page, live, "kepala")
        page.wait_for_selector("#conn.on", timeout=10000)
        row = page.locator('#services tr[data-service="PERIZINAN"]')
        assert row.locator(".waiting").inner_text() == "6"
        assert page.locator('[data-counter="L02"] .ctr-number').inner_text().startswith("B-001")
        issued_before = page.locator("#kpi-issued").inner_text()
        assert issued_before == "12"
        # the target is a length of time, not a clock time; a share is written the Indonesian way
        assert row.locator(".target").inner_text() == "15 menit"
        assert page.locator("#kpi-within_target_pct").inner_text() == "100,0%"
        page.wait_for_function("() => window.Chart && document.querySelector('#hourly-chart').width > 0")

        # a call made through the API reaches the open page over /dashboard, without a reload
        page.evaluate("window.__noReload = true")
        r = requests.post(api + "/counters/L01/call-next", headers=clerk["c1"], timeout=5)
        assert r.json()["ticket"]["number"] == "A-001"
        page.wait_for_function(
            "() => document.querySelector('#services tr[data-service=\"PERIZINAN\"] .waiting').textContent === '5'",
            timeout=10000)
        page.wait_for_function(
            "() => (document.querySelector('[data-counter=\"L01\"] .ctr-number') || {}).textContent === 'A-001'",
            timeout=10000)
        assert "Petugas C1" in page.locator('[data-counter="L01"]').inner_text()
        assert page.evaluate("window.__noReload") is True
        requests.post(api + "/counters/L01/start", headers=clerk["c1"], timeout=5)
        requests.post(api + "/counters/L03/pause", headers=clerk["c3"], timeout=5)
        page.wait_for_selector('[data-counter="L03"] .state.paused', timeout=10000)
        assert page.locator('[data-counter="L01"] .state').inner_text() == "Bertugas"
        assert page.locator('#services tr[data-service="HALAL"] td.num').last.inner_text() == "0 / 1"
        # the clerk of L02 closes the panel: nobody has the counter open (its visitor is still served there)
        panels.pop("L02").close()
        page.wait_for_selector('[data-counter="L02"] .state.closed', timeout=10000)
        assert page.locator('[data-counter="L02"] .state').inner_text() == "Tutup"
        screenshot(page, "dashboard.png", settle_ms=1500, full_page=True)

        # reports
        page.click("text=Laporan")
        page.wait_for_url(live.url + "/dashboard/reports*")
        today = date.today()
        page.goto(live.url + f"/dashboard/reports?from={(today - timedelta(days=27)).isoformat()}"
                  f"&to={today.isoformat()}")
        assert page.locator("#per-service tbody tr").count() == 3
        assert page.locator("#per-agency tbody tr").count() == 2
        assert page.locator("#per-counter tbody tr").count() == 3
        assert page.locator("#per-clerk tbody tr").count() >= 3
        assert page.locator("#heatmap tbody tr").count() == 28
        for link in ("#xlsx-link", "#csv-link", "#json-link"):
            href = page.get_attribute(link, "href")
            resp = page.request.get(live.url + href)
            assert resp.status == 200, href
        page.wait_for_function("() => document.querySelector('#histogram-chart').width > 0")
        screenshot(page, "dashboard-reports.png", full_page=True)
        assert page.js_errors == []

        # a manager scoped to one agency sees only it, on the page and from the API behind it
        ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID", timezone_id="Asia/Jakarta")
        scoped = ctx.new_page()
        _login(scoped, live, "halal")
        scoped.wait_for_selector("#services tbody tr")
        assert [scoped.locator("#services tbody tr").nth(i).get_attribute("data-service")
                for i in range(scoped.locator("#services tbody tr").count())] == ["HALAL"]
        assert scoped.locator("[data-counter]").count() == 1
        assert scoped.request.get(live.url + "/api/stats/summary?agency=DPMPTSP").status == 403
        ctx.close()

        # a clerk gets a 403 page
        ctx = browser.new_context()
        clerk_page = ctx.new_page()
        clerk_page.goto(live.url + "/login?next=/dashboard/")
        clerk_page.fill("input[name=username]", "c1")
        clerk_page.fill("input[name=password]", PASSWORD)
        clerk_page.click("button[type=submit]")
        assert "403" in clerk_page.content()
        ctx.close()
    finally:
        for panel in panels.values():
            panel.close()
        live.stop()
