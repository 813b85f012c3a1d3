"""One visitor's whole visit through every screen, in Debian's Chromium against a real server process:
kiosk tap → printed ticket → phone page with people ahead → clerk calls in the counter panel → the hall
display shows it and queues the announcement → the phone shows "called" → the clerk finishes → the
dashboard counts it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from printers.escpos_decode import read_qr_codes

from ..helpers import new_page, sign_in, wait_js

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_visitor_from_kiosk_to_done(browser, demo, fake_printer):
    pages = []
    try:
        # the hall: a display on the ground floor, the clerk's panel, the head's dashboard
        display = new_page(browser, width=1920, height=1080)
        display.goto(demo.url + "/display?zone=lantai-1")
        display.wait_for_selector("#display[data-state=live]", timeout=15_000)
        counter = new_page(browser)
        sign_in(counter, demo, "siti", "/counter/L01")
        counter.wait_for_selector("#conn[data-state=live]", timeout=15_000)
        counter.wait_for_selector("#panel[data-state=idle]")
        dashboard = new_page(browser)
        sign_in(dashboard, demo, "kepala", "/dashboard/")
        dashboard.wait_for_selector("#conn.on", timeout=15_000)
        wait_js(dashboard, "document.getElementById('kpi-served').textContent === '0'")
        pages += [display, counter, dashboard]

        # someone came earlier
        early = requests.post(demo.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1"},
                              headers=demo.kiosk_headers("K1"), timeout=5).json()

        # 1. the visitor taps "Perizinan Berusaha" on kiosk K1
        kiosk = new_page(browser, width=1920, height=1080, touch=True)
        pages.append(kiosk)
        # (installed once: an admin enrols the kiosk PC's browser on Admin → Kiosks, and is signed out there)
        sign_in(kiosk, demo, "admin", "/admin/kiosks", password=demo.admin_password)
        kiosk.click("button[data-enrol='K1']")
        kiosk.wait_for_url(demo.url + "/kiosk/K1")
        kiosk.wait_for_selector("body[data-ready='1']")
        assert kiosk.locator("#not-enrolled").count() == 0
        kiosk.locator(".tile[data-service='PERIZINAN']").tap()
        kiosk.locator("#confirm").wait_for(state="visible")
        number = kiosk.locator("#c-number").inner_text()
        assert number == "A-002"
        assert kiosk.locator("#confirm").get_attribute("data-print-status") == "printed"

        # 2. the printer got that ticket, with the visitor's link in its QR code
        job = fake_printer.wait_for_jobs(1)[-1]
        assert job.number == number and job.cut
        track_urls = read_qr_codes(job.decoded)
        assert len(track_urls) == 1 and track_urls[0].startswith(demo.url + "/t/")

        # 3. the visitor scans it: the phone shows one person ahead
        phone = new_page(browser, width=390, height=844, touch=True, mobile=True)
        pages.append(phone)
        phone.goto(demo.url + urlsplit(track_urls[0]).path)
        phone.wait_for_selector("#ticket[data-state=live]", timeout=10_000)
        assert phone.text_content("#tk-number") == number
        assert phone.text_content("#tk-ahead") == "1 orang di depan Anda"

        # 4. the clerk calls twice: first the earlier visitor, then ours (finishing the first)
        counter.locator("[data-action=call-next]").click()
        counter.wait_for_selector("#panel[data-state=called]")
        assert counter.inner_text("#now-number") == early["number"]
        wait_js(phone, "document.getElementById('tk-ahead').textContent === 'Anda berikutnya'")
        counter.locator("[data-action=finish]").click()
        counter.wait_for_selector("#panel[data-state=idle]")
        counter.locator("[data-action=call-next]").click()
        counter.wait_for_selector("#panel[data-state=called]")
        assert counter.inner_text("#now-number") == number

        # 5. the hall display shows it after the first one, which stays shown while it is said (about 8 s)
        wait_js(display, f"document.getElementById('now-number').textContent === '{number}'", timeout=15)
        assert display.text_content("#now-counter") == "Loket 1"
        wait_js(display, "window.__announcerLog.filter(x => x === 'chime').length === 2")
        log = display.evaluate("window.__announcerLog")
        second = log[log.index("chime", 1):]
        assert second[:6] == ["chime", "nomor_antrean", "a", "nol", "nol", "dua"]
        assert second[-2:] == ["loket", "satu"]

        # 6. the phone shows "called" with the counter
        phone.wait_for_selector("#tk-call:not([hidden])", timeout=5_000)
        assert phone.text_content("#tk-status") == "Anda dipanggil!"
        assert phone.text_content("#tk-counter") == "Loket 1"

        # 7. the visitor sits down, the clerk serves and finishes
        counter.locator("[data-action=start]").click()
        counter.wait_for_selector("#panel[data-state=serving]")
        wait_js(phone, "document.getElementById('tk-status').textContent === 'Sedang dilayani'")
        counter.locator("[data-action=finish]").click()
        counter.wait_for_selector("#panel[data-state=idle]")
        status = requests.get(f"{demo.url}/api/tickets/{urlsplit(track_urls[0]).path.split('/')[-1]}",
                              timeout=5).json()["status"]
        assert status == "done"

        # 8. the dashboard counts both visits as served, live
        wait_js(dashboard, "document.getElementById('kpi-served').textContent === '2'", timeout=10)
        assert dashboard.inner_text("#kpi-issued") == "2"
        for p in pages:
            assert p.js_errors == [], p.url
    finally:
        for p in pages:
            p.context.close()
